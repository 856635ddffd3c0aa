/**
 * Fault matrix, two tabs: two tabs of the app record at the same time in one browser.
 * They share one outbox and one service worker; each chunk must be uploaded exactly once (every
 * chunk POST is counted on the way, page and worker alike) and both videos must complete.
 * Durations scale with FAULT_SCALE (see support/fault-matrix.ts).
 */
import { describe, expect, it } from 'vitest';
import { chunksEmitted, faultEnvPerTest, localRecording, openRecorder, scaled, sleep, startRecording, stopRecording, verifyCase, waitServerComplete } from './support/fault-matrix.ts';

const startEnv = faultEnvPerTest();

describe('fault matrix: two tabs', () => {
  it('two tabs record at once; each chunk is uploaded exactly once', async () => {
    const env = await startEnv();
    const posts = new Map<string, number>();
    // Playwright's context routes also see the service worker's requests.
    await env.context.route(/\/api\/v1\/videos\/chunk\?/, async (route) => {
      const q = new URL(route.request().url()).searchParams;
      const key = `${q.get('sessionId')}#${q.get('index')}`;
      posts.set(key, (posts.get(key) ?? 0) + 1);
      await route.continue();
    });
    const a = await openRecorder(env);
    const b = await openRecorder(env);
    const startedAt = Date.now();
    // One after the other (each start is told apart by the new id in the outbox), then both record.
    const idA = await startRecording(a);
    const idB = await startRecording(b);
    expect(idA).not.toBe(idB);
    await sleep(scaled(8));
    await Promise.all([stopRecording(a), stopRecording(b)]);
    const emitted = [await chunksEmitted(a), await chunksEmitted(b)];
    for (const id of [idA, idB]) await waitServerComplete(env, id, 60_000);
    const totalPosts = [...posts.values()].reduce((n, v) => n + v, 0);
    await verifyCase(env, {
      case: 'two-tabs',
      fault: 'two tabs of one browser record at the same time (one outbox, one worker)',
      startedAt,
      page: a,
      recordingIds: [idA, idB],
      uiPages: [a, b],
      notes: `${totalPosts} chunk POSTs for ${posts.size} distinct chunks; emitted ${emitted.join(' + ')}`,
    });
    const local = [await localRecording(a, idA), await localRecording(a, idB)];
    expect(local.map((r) => r.indices.length)).toEqual(emitted);
    // Exactly one POST per chunk of either recording, none repeated.
    expect(posts.size).toBe(emitted[0]! + emitted[1]!);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
  });
});
