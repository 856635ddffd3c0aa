import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chunkBytes, expectedChunksDigest, recordInto } from './fakes.ts';
import { REC_A, REC_B, settle, setup } from './harness.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const whole = (n: number) => Buffer.concat([...Array(n).keys()].map((i) => new Uint8Array(chunkBytes(i))));

describe('happy path', () => {
  it('inits, uploads every chunk once, finalizes and verifies the assembled SHA-256', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 5);
    const out = await h.pipeline.drain('test');
    expect(out).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    const rec = await h.outbox.getRecording(REC_A);
    const digest = await expectedChunksDigest(5);
    expect(rec).toMatchObject({ state: 'complete', localCopy: 'kept', completionCheck: { by: 'chunks-digest', digest }, localChunksDigest: digest });
    // The whole-recording SHA-256 is only computed for a server that sends no chunks digest.
    expect(rec!.localSha256).toBeNull();
    expect(rec!.shareUrl).toMatch(/^\/s\//);
    expect([...h.server.writes.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(h.server.calls.filter((c) => c.op === 'init')).toHaveLength(1);
    expect(Buffer.from(h.server.assembled(REC_A)!).equals(whole(5))).toBe(true);
    const chunks = await h.outbox.listChunks(REC_A);
    expect(chunks.every((c) => c.state === 'uploaded' && c.attempts === 1 && c.uploadMs !== null)).toBe(true);
    expect(h.log.events('chunk-uploaded')).toHaveLength(5);
    expect(h.log.events('chunk-queued')).toHaveLength(5);
    expect(h.log.events('finalize-result')[0]!.fields).toMatchObject({ status: 'complete' });
  });

  it('releases the local bytes after completion when keepLocalCopy is off', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 3);
    await h.pipeline.drain('test');
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', localCopy: 'released', localBytes: 0 });
    expect(await h.outbox.recordingBlob(REC_A)).toBeNull();
  });

  it('does not finalize a recording that is still capturing', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 3, { stop: false });
    const out = await h.pipeline.drain('test');
    expect(out.done).toBe(true);
    expect(h.server.calls.filter((c) => c.op === 'finalize')).toHaveLength(0);
    expect((await h.outbox.chunkCounts(REC_A)).uploaded).toBe(3);
  });
});

describe('concurrency and order', () => {
  it('never has more than 2 chunk uploads in flight, oldest recording first, in index order', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 6);
    h.clock.t += 10;
    await recordInto(h.outbox, REC_B, 6);
    await h.pipeline.drain('test');
    expect(h.server.maxInFlight).toBe(2);
    const order = h.server.calls.filter((c) => c.op === 'chunk').map((c) => c.index);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect((await h.outbox.getRecording(REC_B))!.state).toBe('complete');
  });

  it('honours a configured concurrency', async () => {
    const h = await setup({ settings: { concurrency: 3 } });
    await recordInto(h.outbox, REC_A, 9);
    await h.pipeline.drain('test');
    expect(h.server.maxInFlight).toBe(3);
  });

  it('runs one drain at a time: a second drain() while one runs is refused (the host coalesces)', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 4);
    const first = h.pipeline.drain('one');
    await expect(h.pipeline.drain('two')).rejects.toThrow(/while a drain runs/);
    expect((await first).done).toBe(true);
    expect([...h.server.writes.values()]).toEqual([1, 1, 1, 1]);
  });
});

describe('backoff', () => {
  it('waits exactly 1, 2, 4, 8, 16 s between attempts (jitter 0)', async () => {
    const h = await setup({ settings: { maxAttempts: 6 } });
    await recordInto(h.outbox, REC_A, 1);
    h.server.onChunk = (_req, nth) => (nth <= 5 ? { kind: 'http', status: 503 } : undefined);
    const out = await h.pipeline.drain('test');
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(out.done).toBe(true);
    const [c] = await h.outbox.listChunks(REC_A);
    expect(c).toMatchObject({ state: 'uploaded', attempts: 6 });
    expect(h.log.events('chunk-retry').map((e) => [e.fields.attempt, e.fields.maxAttempts])).toEqual([
      [1, 6], [2, 6], [3, 6], [4, 6], [5, 6],
    ]);
  });

  it('applies ± jitter around the schedule', async () => {
    const h = await setup({ settings: { jitterRatio: 0.1, maxAttempts: 3 } });
    await recordInto(h.outbox, REC_A, 1);
    h.server.onChunk = (_req, nth) => (nth <= 2 ? { kind: 'network' } : undefined);
    const p = new (await import('../../src/sw/pipeline/pipeline.ts')).UploadPipeline({
      outbox: h.outbox, transport: h.server, clock: h.clock, connectivity: h.net, logger: h.log, random: () => 1,
    });
    h.pipeline.stop();
    await p.drain('test');
    expect(h.clock.sleeps).toEqual([1100, 2200]);
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    h.server.onChunk = (_req, nth) => (nth === 1 ? { kind: 'http', status: 429, code: 'rate_limited', retryAfterMs: 7000 } : undefined);
    await h.pipeline.drain('test');
    expect(h.clock.sleeps).toEqual([7000]);
  });

  it('returns with nextWakeAt instead of sleeping past maxDrainMs (150 s)', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    h.server.onChunk = () => ({ kind: 'http', status: 503, retryAfterMs: 200_000 });
    const start = h.clock.now();
    const out = await h.pipeline.drain('test');
    expect(out).toMatchObject({ done: false, blocked: null, nextWakeAt: start + 200_000, failed: 0 });
    expect(h.clock.sleeps).toEqual([]);
  });
});

describe('failures', () => {
  it('a final 4xx fails the chunk at once (kept), no retry', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 2);
    h.server.onChunk = (req) => (req.index === 0 ? { kind: 'http', status: 413, code: 'chunk_too_large' } : undefined);
    const out = await h.pipeline.drain('test');
    expect(out.failed).toBe(1);
    expect(h.clock.sleeps).toEqual([]);
    expect((await h.outbox.listChunks(REC_A))[0]).toMatchObject({ state: 'failed', attempts: 1, nextAttemptAt: null, lastError: { code: 'chunk_too_large', status: 413 } });
  });

  it('409 chunk_conflict fails the chunk loudly without retrying', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    h.server.onChunk = () => ({ kind: 'http', status: 409, code: 'chunk_conflict' });
    const out = await h.pipeline.drain('test');
    expect(out.failed).toBe(1);
    expect(h.server.calls.filter((c) => c.op === 'chunk')).toHaveLength(1);
    expect(h.log.events('chunk-failed')[0]!.fields).toMatchObject({ code: 'chunk_conflict' });
  });

  it('a lost answer is harmless: the re-send is a verified duplicate, stored once', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 3);
    h.server.onChunk = (req, nth) => (req.index === 1 && nth === 1 ? { kind: 'lost' } : undefined);
    h.server.onFinalize = (() => {
      let n = 0;
      return () => (++n === 1 ? { kind: 'lost' as const } : undefined);
    })();
    await h.pipeline.drain('test');
    expect(h.server.calls.filter((c) => c.op === 'chunk' && c.index === 1)).toHaveLength(2);
    expect(h.server.writes.get(`${REC_A}#1`)).toBe(1);
    expect(h.server.calls.filter((c) => c.op === 'finalize')).toHaveLength(2);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', completionCheck: { by: 'chunks-digest', digest: await expectedChunksDigest(3) } });
  });

  it('a 2xx whose SHA-256 differs from ours does not mark the chunk uploaded', async () => {
    const h = await setup({ settings: { maxAttempts: 2 } });
    await recordInto(h.outbox, REC_A, 1, { stop: false });
    h.server.onChunk = () => ({ kind: 'wrong-sha' });
    const out = await h.pipeline.drain('test');
    expect(out).toMatchObject({ done: false, failed: 1 });
    expect(h.clock.sleeps.slice(0, 2)).toEqual([1000, 45_000]);
    const [c] = await h.outbox.listChunks(REC_A);
    expect(c).toMatchObject({ state: 'failed', lastError: { code: 'digest_mismatch' } });
    expect(c!.nextAttemptAt).not.toBeNull();
    expect((await h.outbox.getRecording(REC_A))!.uploadedBytes).toBe(0);
  });

  it('a session the server lost (404/410) is re-initialised and its chunks re-sent', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 4, { stop: false });
    await h.pipeline.drain('first');
    const firstSession = (await h.outbox.getRecording(REC_A))!.sessionId;
    h.server.forget(REC_A);
    await h.outbox.stopRecording(REC_A, 4);
    await h.pipeline.drain('second');
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec!.state).toBe('complete');
    expect(rec!.sessionId).not.toBe(firstSession);
    expect(h.log.events('session-lost')).toHaveLength(1);
    expect(Buffer.from(h.server.assembled(REC_A)!).equals(whole(4))).toBe(true);
  });

  it('a session lost twice in one run fails loudly instead of looping', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 2);
    h.server.onChunk = () => ({ kind: 'http', status: 410, code: 'session_expired' });
    const out = await h.pipeline.drain('test');
    expect(out.failed).toBe(2);
    expect(h.server.calls.filter((c) => c.op === 'init')).toHaveLength(2);
    expect((await h.outbox.getRecording(REC_A))!.lastError).toMatchObject({ code: 'session_lost' });
  });

  it('a chunks digest that differs from the local one is not marked complete and keeps its bytes', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 2);
    const orig = h.server.finalize.bind(h.server);
    h.server.finalize = async (req, signal) => {
      const res = await orig(req, signal);
      return res.status === 'complete' ? { ...res, chunksDigest: 'e'.repeat(64) } : res;
    };
    const out = await h.pipeline.drain('test');
    expect(out.done).toBe(true);
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec).toMatchObject({ state: 'stopped', localCopy: 'kept', lastError: { code: 'assembled_mismatch' } });
    expect(await h.outbox.recordingBlob(REC_A)).not.toBeNull();
    expect(h.server.calls.filter((c) => c.op === 'finalize')).toHaveLength(1);
  });
});

describe('offline', () => {
  it('defers init while offline and runs it once back online', async () => {
    const h = await setup({ online: false });
    await recordInto(h.outbox, REC_A, 2);
    const out = await h.pipeline.drain('test');
    expect(out).toMatchObject({ done: false, blocked: 'offline' });
    expect(h.server.calls).toEqual([]);
    expect((await h.outbox.getRecording(REC_A))!.sessionId).toBeNull();
    h.net.set(true);
    const back = await h.pipeline.drain('online');
    expect(back.done).toBe(true);
    expect(h.server.calls[0]!.op).toBe('init');
    expect(h.log.events('connectivity-restored')).toHaveLength(1);
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
  });

  it('a request failing while offline burns no attempt, and work resumes on reconnect', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 3);
    h.server.onChunk = (req, nth) => {
      if (req.index === 1 && nth === 1) {
        h.net.set(false);
        return { kind: 'network' };
      }
      return undefined;
    };
    const out = await h.pipeline.drain('test');
    expect(out.blocked).toBe('offline');
    expect(h.clock.sleeps).toEqual([]);
    const c1 = (await h.outbox.listChunks(REC_A))[1]!;
    expect(c1).toMatchObject({ state: 'pending', attempts: 0 });
    expect(h.log.events('offline').length).toBeGreaterThan(0);
    h.net.set(true);
    await h.pipeline.drain('online');
    const chunks = await h.outbox.listChunks(REC_A);
    expect(chunks[1]).toMatchObject({ state: 'uploaded', attempts: 1 });
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
  });
});

describe('auth', () => {
  it('401 holds everything until the token changes, then resumes', async () => {
    const h = await setup();
    await h.outbox.setToken('old');
    h.server.acceptToken = 'new';
    await recordInto(h.outbox, REC_A, 3);
    const out = await h.pipeline.drain('test');
    expect(out).toMatchObject({ blocked: 'auth', done: false });
    expect(h.log.events('auth-required')).toHaveLength(1);
    const calls = h.server.calls.length;
    // Same token: still held, nothing is sent.
    expect((await h.pipeline.drain('again')).blocked).toBe('auth');
    expect(h.server.calls.length).toBe(calls);
    expect((await h.pipeline.snapshot()).overall.authRequired).toBe(true);
    await h.outbox.setToken('new');
    const after = await h.pipeline.drain('token-changed');
    expect(after).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    const chunks = await h.outbox.listChunks(REC_A);
    expect(chunks.every((c) => c.state === 'uploaded' && c.attempts === 1)).toBe(true);
  });
});

describe('bandwidth cap', () => {
  it('paces chunk bytes through the token bucket when a cap is set', async () => {
    const h = await setup({ settings: { bandwidthCapKbps: 80, concurrency: 1 } }); // 10 000 B/s
    await recordInto(h.outbox, REC_A, 3, { size: 10_000 });
    await h.pipeline.drain('test');
    // Burst of 1 s covers the first chunk; each further 10 000 B chunk waits 1 s.
    expect(h.clock.sleeps).toEqual([1000, 1000]);
    await settle(1);
  });
});
