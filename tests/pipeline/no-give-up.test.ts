/**
 * No give-up while the cause can pass: the capped schedule, the re-arm on any success and on a
 * wake-up, and the answers that stay failed until the user acts. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { T0, chunkBytes, expectedChunksDigest, recordInto } from './fakes.ts';
import { REC_A, REC_B, settle, setup, until } from './harness.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const whole = (n: number) => Buffer.concat([...Array(n).keys()].map((i) => new Uint8Array(chunkBytes(i))));

describe('capped schedule', () => {
  it('after the configured attempts a chunk shows failed, is retried every 45 s, and completes when the server answers', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    // The chunk meets a dead server for its first 7 attempts (a 150 s outage for it).
    h.server.onChunk = (_req, nth) => (nth <= 7 ? { kind: 'http', status: 503 } : undefined);
    const phases: string[] = [];
    h.pipeline.onProgress((s) => phases.push(`${s.recordings[0]!.phase}:${s.recordings[0]!.waiting}`));
    const out = await h.pipeline.drain('test');
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000, 8000, 45_000, 45_000, 45_000]);
    expect(out).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    expect(phases).toContain('waiting-server:1');
    expect(h.log.events('chunk-retry').map((e) => e.fields.exhausted)).toEqual([false, false, false, false, true, true, true]);
    expect(h.log.events('chunk-failed')).toHaveLength(0);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', completionCheck: { by: 'chunks-digest', digest: await expectedChunksDigest(1) } });
    expect([...h.server.writes.values()]).toEqual([1]);
  });

  it('keeps an exhausted chunk failed-but-waiting in the outbox across the end of a drain and a restart', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 2);
    let down = true;
    h.server.onChunk = (req) => (down && req.index === 0 ? { kind: 'network' } : undefined);
    const out = await h.pipeline.drain('test');
    // maxDrainMs (150 s) ends the drain with the next try still ahead; nothing was given up.
    expect(out).toMatchObject({ done: false, blocked: null, failed: 1 });
    expect(out.nextWakeAt).toBeGreaterThan(h.clock.now());
    const [c0] = await h.outbox.listChunks(REC_A);
    expect(c0).toMatchObject({ state: 'failed', lastError: { code: 'network' } });
    expect(c0!.nextAttemptAt).toBe(out.nextWakeAt);
    expect((await h.outbox.getRecording(REC_A))!.lastError).toBeNull();

    // The worker dies; a new one starts while the next try is still 40 s away: start-up wakes it now.
    h.pipeline.stop();
    down = false;
    const next = await h.restart();
    const before = h.clock.now();
    await next.wakeAll('startup');
    const again = await next.drain('startup');
    expect(again).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    expect(h.clock.now()).toBe(before);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', completionCheck: { by: 'chunks-digest', digest: await expectedChunksDigest(2) } });
  });

  it('keeps retrying init and finalize the same way (never given up while the server is away)', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    h.server.onInit = () => (h.clock.now() < T0 + 100_000 ? { kind: 'http', status: 502 } : undefined);
    const out = await h.pipeline.drain('test');
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000, 8000, 45_000, 45_000]);
    expect(out.done).toBe(true);
    expect(h.log.events('op-failed')).toHaveLength(0);
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
  });
});

describe('re-arm', () => {
  it('on any success: a chunk that waits 45 s goes at once when another request gets through', async () => {
    const h = await setup({ autoClock: false, settings: { concurrency: 1 } });
    await recordInto(h.outbox, REC_A, 1, { stop: false });
    let down = true;
    h.server.onChunk = () => (down ? { kind: 'network' } : undefined);
    const run = h.pipeline.drain('test');
    // Let the chunk spend its 5 attempts (1+2+4+8 s) and go into its first 45 s wait.
    while (h.log.events('chunk-retry').length < 5) {
      await until(() => h.clock.waiting > 0 || h.log.events('chunk-retry').length >= 5);
      if (h.log.events('chunk-retry').length < 5) h.clock.advance(16_000);
    }
    await until(() => h.clock.waiting > 0);
    const snap = await h.pipeline.snapshot();
    expect(snap.recordings[0]).toMatchObject({ phase: 'waiting-server', waiting: 1 });
    const waitsUntil = snap.recordings[0]!.nextTryAt!;
    expect(waitsUntil - h.clock.now()).toBe(45_000);

    // The server is back; a new chunk is recorded and announced 5 s later.
    h.clock.advance(5000);
    down = false;
    await h.outbox.addChunk(REC_A, 1, chunkBytes(1));
    h.pipeline.nudge();
    for (let i = 0; i < 200 && (await h.outbox.chunkCounts(REC_A)).uploaded < 2; i++) await settle(2);
    const counts = await h.outbox.chunkCounts(REC_A);
    expect(counts).toMatchObject({ uploaded: 2, failed: 0 });
    // Both went before the old 45 s deadline: chunk 0 was re-armed by chunk 1's success.
    expect(h.clock.now()).toBeLessThan(waitsUntil);
    expect(h.log.events('re-armed')[0]!.fields).toMatchObject({ why: 'server-answered' });
    await run;
    await h.outbox.stopRecording(REC_A, 2);
    await h.pipeline.drain('stopped');
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
  });

  it('on a wake-up (online, sync, start): waiting chunks are due now; user-action failures are left alone', async () => {
    const h = await setup({ settings: { maxAttempts: 1 } });
    await recordInto(h.outbox, REC_A, 2);
    h.server.onChunk = (req) => (req.index === 0 ? { kind: 'http', status: 503 } : { kind: 'http', status: 409, code: 'chunk_conflict' });
    await h.pipeline.drain('test');
    const [c0, c1] = await h.outbox.listChunks(REC_A);
    expect(c0).toMatchObject({ state: 'failed' });
    expect(c0!.nextAttemptAt).toBeGreaterThan(h.clock.now());
    expect(c1).toMatchObject({ state: 'failed', nextAttemptAt: null, lastError: { code: 'chunk_conflict' } });
    await h.pipeline.wakeAll('online');
    const [w0, w1] = await h.outbox.listChunks(REC_A);
    expect(w0!.nextAttemptAt).toBe(h.clock.now());
    expect(w1!.nextAttemptAt).toBeNull();
  });
});

describe('answers that stay failed until the user acts', () => {
  for (const [status, code] of [[409, 'chunk_conflict'], [413, 'chunk_too_large'], [413, 'user_quota_exceeded'], [413, 'recording_too_large']] as const) {
    it(`${status} ${code}: failed at once, kept, with words saying what to do; Retry sends it again`, async () => {
      const h = await setup();
      await recordInto(h.outbox, REC_A, 2);
      let refuse = true;
      h.server.onChunk = (req) => (refuse && req.index === 1 ? { kind: 'http', status, code } : undefined);
      const out = await h.pipeline.drain('test');
      expect(out).toMatchObject({ done: true, failed: 1 });
      expect(h.server.calls.filter((c) => c.op === 'chunk' && c.index === 1)).toHaveLength(1);
      const s = (await h.pipeline.snapshot()).recordings[0]!;
      expect(s).toMatchObject({ phase: 'incomplete', failed: 1, waiting: 0, nextTryAt: null, lastError: { code } });
      expect(s.lastError!.message).toMatch(/kept on this device|Delete recordings/);
      expect((await h.outbox.listChunks(REC_A))[1]!.data).not.toBeNull();

      refuse = false;
      await h.pipeline.retry(REC_A);
      expect(await h.pipeline.drain('retry')).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
      expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
    });
  }

  it('a local copy whose bytes no longer match their digest stays failed (local_copy_corrupt); a body garbled on the way is retried', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 1);
    await recordInto(h.outbox, REC_B, 1);
    // REC_B's stored bytes changed after they were hashed at capture (storage corruption): the
    // server refuses them by their digest every time. REC_A's chunk is garbled once on the way.
    const orig = h.outbox.claimReadyChunks.bind(h.outbox);
    h.outbox.claimReadyChunks = async (id, limit, now) => (await orig(id, limit, now)).map((c) => (id === REC_B ? { ...c, data: chunkBytes(99) } : c));
    let garbles = 1;
    h.server.onChunk = (req) => (req.sha256 === sha(new Uint8Array(chunkBytes(0))) && garbles-- > 0 ? { kind: 'http', status: 400, code: 'digest_mismatch' } : undefined);
    await h.pipeline.drain('test');
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
    const b = (await h.pipeline.snapshot()).recordings.find((r) => r.recordingId === REC_B)!;
    expect(b).toMatchObject({ phase: 'incomplete', waiting: 0, lastError: { code: 'local_copy_corrupt' } });
  });
});
