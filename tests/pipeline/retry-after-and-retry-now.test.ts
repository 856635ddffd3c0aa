/**
 * Two rules around waiting: a wake-up (another chunk's 2xx, online, sync, start-up) makes what
 * waits due at once *except* what the server asked to wait with Retry-After; and the user's
 * "Retry now" pressed while a try is in flight is not lost — if that try fails, one more follows
 * at once.
 */
import { describe, expect, it } from 'vitest';
import { T0, recordInto } from './fakes.ts';
import { REC_A, settle, setup, until } from './harness.ts';

const RETRY_AFTER_MS = 30_000;

describe('Retry-After survives wake-ups', () => {
  it('another chunk confirmed does not bring forward a chunk the server told to wait 30 s', async () => {
    const h = await setup({ settings: { concurrency: 1 } });
    await recordInto(h.outbox, REC_A, 2);
    const tries: [number, number][] = [];
    h.server.onChunk = (req, nth) => {
      tries.push([req.index, h.clock.now()]);
      return req.index === 0 && nth === 1 ? { kind: 'http', status: 503, code: 'server_error', retryAfterMs: RETRY_AFTER_MS } : undefined;
    };
    const out = await h.pipeline.drain('test');
    expect(out).toMatchObject({ done: true, failed: 0 });
    const zero = tries.filter(([i]) => i === 0).map(([, t]) => t);
    expect(zero).toHaveLength(2);
    // Chunk 1's 2xx woke what waits, yet chunk 0 kept the server's 30 s.
    expect(h.log.events('chunk-uploaded').map((e) => e.fields.index)).toEqual([1, 0]);
    expect(zero[1]! - zero[0]!).toBeGreaterThanOrEqual(RETRY_AFTER_MS);
  });

  it('online/sync/start-up wake-ups keep the Retry-After; the user\'s Retry now does not wait for it', async () => {
    const h = await setup({ autoClock: false, settings: { concurrency: 1, maxAttempts: 1 } });
    await recordInto(h.outbox, REC_A, 1);
    let answers = 0;
    h.server.onChunk = () => (++answers === 1 ? { kind: 'http', status: 503, code: 'server_error', retryAfterMs: RETRY_AFTER_MS } : undefined);
    const run = h.pipeline.drain('test');
    await until(() => h.clock.waiting > 0);
    const [c] = await h.outbox.listChunks(REC_A);
    expect(c).toMatchObject({ state: 'failed', notBefore: h.clock.now() + RETRY_AFTER_MS });
    h.clock.advance(1000);
    await h.pipeline.wakeAll('online');
    await settle(40);
    expect(answers).toBe(1);
    expect((await h.outbox.listChunks(REC_A))[0]!.nextAttemptAt).toBe(c!.notBefore);
    const snap = await h.pipeline.snapshot();
    expect(snap.recordings[0]!.nextTryAt).toBe(c!.notBefore);
    // Retry now: tried at once, 29 s before the server's deadline.
    await h.pipeline.retry(REC_A);
    await run;
    expect(answers).toBe(2);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete' });
    expect(h.clock.now()).toBeLessThan(c!.notBefore!);
  });

  it('an init the server told to wait keeps its Retry-After through a wake-up', async () => {
    const h = await setup({ autoClock: false });
    await recordInto(h.outbox, REC_A, 1);
    let inits = 0;
    h.server.onInit = () => (++inits === 1 ? { kind: 'http', status: 503, code: 'server_error', retryAfterMs: RETRY_AFTER_MS } : undefined);
    const run = h.pipeline.drain('test');
    await until(() => h.clock.waiting > 0);
    await h.pipeline.wakeAll('sync');
    await settle(40);
    expect(inits).toBe(1);
    h.clock.advance(RETRY_AFTER_MS);
    await run;
    expect(inits).toBe(2);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete' });
  });
});

describe('Retry now while a try is in flight', () => {
  it('a chunk whose in-flight try fails after the press is tried again at once', async () => {
    const h = await setup({ autoClock: false, settings: { concurrency: 1, maxAttempts: 1 } });
    await recordInto(h.outbox, REC_A, 1);
    let answers = 0;
    h.server.onChunk = () => (++answers <= 2 ? { kind: 'http', status: 503, code: 'server_error' } : undefined);
    const run = h.pipeline.drain('test');
    // First try fails: exhausted, failed, next try in 45 s.
    await until(() => h.clock.waiting > 0);
    expect(answers).toBe(1);
    // The user presses Retry now: the second try starts and hangs at the server…
    h.server.gated = true;
    await h.pipeline.retry(REC_A);
    await until(() => h.server.waitingAtGate > 0);
    // …and they press again while it is in flight. It fails: the press must not be lost.
    await h.pipeline.retry(REC_A);
    h.server.gated = false;
    h.server.release();
    // Without the press kept, the failed try would wait 45 s of a clock that never moves here.
    await until(() => answers >= 3, 3000);
    expect(answers).toBe(3);
    await run;
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete' });
    expect(h.clock.now()).toBe(T0);
    expect(h.log.events('retry-pressed-in-flight')).toHaveLength(1);
  });

  it('a press during an in-flight finalize that fails runs it again at once', async () => {
    const h = await setup({ autoClock: false, settings: { maxAttempts: 1 } });
    await recordInto(h.outbox, REC_A, 1);
    let finals = 0;
    h.server.onFinalize = () => (++finals === 1 ? { kind: 'http', status: 503, code: 'server_error' } : undefined);
    h.server.gated = true;
    const run = h.pipeline.drain('test');
    // init, then the chunk, then finalize: let each through until finalize waits at the gate.
    await until(() => h.server.waitingAtGate > 0);
    while (h.server.calls.at(-1)?.op !== 'finalize') {
      h.server.release();
      await until(() => h.server.waitingAtGate > 0 || h.clock.waiting > 0);
    }
    await h.pipeline.retry(REC_A);
    h.server.gated = false;
    h.server.release();
    await until(() => finals >= 2, 3000);
    expect(finals).toBe(2);
    await run;
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete' });
    expect(h.clock.now()).toBe(T0);
    expect(h.log.events('retry-pressed-in-flight')).toHaveLength(1);
  });
});
