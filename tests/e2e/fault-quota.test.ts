/**
 * Fault matrix, storage quota: the page's storage runs out after a few chunks. The
 * recording must stop cleanly by itself, say so, and every chunk it saved must upload to a
 * complete, matching video.
 *
 * How the quota is made tiny: DevTools `Storage.overrideQuotaForOrigin` is accepted by this
 * machine's Chromium 156 but has no effect (neither `estimate().quota` nor IndexedDB writes see
 * it, in an off-the-record or a persistent profile — tried). So an init script makes the page's
 * IndexedDB `add()` into the outbox's `chunks` store throw a real `QuotaExceededError`
 * DOMException once the chunk bytes written by the page pass a small budget: everything above
 * that (outbox, recorder, worker, server) is the real code. The worker is not affected (init
 * scripts run in pages only), as a real quota would not stop it from marking chunks uploaded.
 */
import { describe, expect, it } from 'vitest';
import { chunksEmitted, faultEnvPerTest, localRecording, openRecorder, scaled, startRecording, verifyCase } from './support/fault-matrix.ts';

const startEnv = faultEnvPerTest();

/** Chunk bytes the page may write: two to three fake-camera chunks (~100-170 KB each). */
const BUDGET = 400_000;

/** Init script (runs in the page before the app): a storage budget on the outbox's chunk writes. */
function exhaustQuotaAfter(budget: number): void {
  const add = IDBObjectStore.prototype.add;
  let used = 0;
  IDBObjectStore.prototype.add = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const data = (value as { data?: unknown } | null)?.data;
    if (this.name === 'chunks' && data instanceof ArrayBuffer) {
      if (used + data.byteLength > budget) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      used += data.byteLength;
    }
    return add.call(this, value, key);
  };
}

describe('fault matrix: quota', () => {
  it('quota: a tiny storage quota stops the recording cleanly and every saved chunk uploads', async () => {
    const env = await startEnv();
    await env.context.addInitScript(exhaustQuotaAfter, BUDGET);
    const page = await openRecorder(env);
    const startedAt = Date.now();
    const id = await startRecording(page);
    await page.getByRole('button', { name: 'Start recording' }).waitFor({ timeout: scaled(30) });
    // A locator wait, not one read: the notice may render a moment after the Start button.
    const alert = page.getByRole('alert').filter({ hasText: 'ran out of storage space' });
    await alert.waitFor({ timeout: 10_000 });
    const notice = await alert.innerText();
    const saved = await localRecording(page, id);
    const emitted = await chunksEmitted(page);
    expect(saved.state).not.toBe('recording');
    expect(saved.indices.length).toBeGreaterThanOrEqual(1);
    expect(emitted).toBeGreaterThan(saved.indices.length);

    await verifyCase(env, {
      case: 'storage-quota',
      fault: `storage full after ${BUDGET / 1000} KB of chunks (page IndexedDB add() throws QuotaExceededError)`,
      startedAt,
      page,
      recordingIds: [id],
      uiPages: [page],
      notes: `stopped itself after ${saved.indices.length} saved chunks (${emitted} emitted by MediaRecorder); notice: "${notice}"`,
    });
  });
});
