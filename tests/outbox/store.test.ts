import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../src/shared/digest.ts';
import { isOutboxError, translateStorageError } from '../../src/shared/outbox/errors.ts';
import { DEFAULT_SETTINGS } from '../../src/shared/settings.ts';
import { chunkBytes, corruptLocalChunk, expectedChunksDigest, freshOutbox, recordInto, IDBFactory } from '../pipeline/fakes.ts';

const REC = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const REC2 = '7f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

async function expectCode(p: Promise<unknown>, code: string) {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(isOutboxError(e) ? e.code : e).toBe(code);
}

describe('outbox recordings', () => {
  it('creates a recording and refuses the same id twice', async () => {
    const ob = await freshOutbox();
    const rec = await ob.createRecording({ id: REC, mimeType: 'video/webm', title: 'demo' });
    expect(rec).toMatchObject({ id: REC, state: 'recording', totalChunks: null, sessionId: null, title: 'demo' });
    await expectCode(ob.createRecording({ id: REC, mimeType: 'video/webm' }), 'recording_exists');
  });

  it('lists recordings newest first', async () => {
    let t = 1000;
    const ob = await freshOutbox(new IDBFactory(), () => t);
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    t = 2000;
    await ob.createRecording({ id: REC2, mimeType: 'video/webm' });
    expect((await ob.listRecordings()).map((r) => r.id)).toEqual([REC2, REC]);
  });
});

describe('addChunk', () => {
  it('stores bytes with their SHA-256 and keeps byte totals', async () => {
    const ob = await freshOutbox();
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    const c = await ob.addChunk(REC, 0, chunkBytes(0, 500));
    expect(c).toMatchObject({ index: 0, size: 500, state: 'pending', attempts: 0 });
    expect(c.sha256).toBe(createHash('sha256').update(new Uint8Array(chunkBytes(0, 500))).digest('hex'));
    await ob.addChunk(REC, 1, chunkBytes(1, 300));
    const rec = await ob.getRecording(REC);
    expect(rec).toMatchObject({ totalBytes: 800, localBytes: 800, uploadedBytes: 0 });
    expect((await ob.listChunks(REC)).map((x) => x.index)).toEqual([0, 1]);
  });

  it('records a zero-byte chunk honestly', async () => {
    const ob = await freshOutbox();
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    const c = await ob.addChunk(REC, 0, new ArrayBuffer(0));
    expect(c.size).toBe(0);
    expect(c.sha256).toBe(await sha256Hex(new Uint8Array(0)));
    expect(await ob.listChunks(REC)).toHaveLength(1);
  });

  it('accepts the same index with identical bytes, refuses different bytes', async () => {
    const ob = await freshOutbox();
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    await ob.addChunk(REC, 0, chunkBytes(0));
    await ob.addChunk(REC, 0, chunkBytes(0));
    await expectCode(ob.addChunk(REC, 0, chunkBytes(9)), 'chunk_exists');
    expect((await ob.getRecording(REC))!.totalBytes).toBe(1000);
  });

  it('refuses chunks for unknown or completed recordings', async () => {
    const ob = await freshOutbox();
    await expectCode(ob.addChunk(REC, 0, chunkBytes(0)), 'recording_not_found');
    await recordInto(ob, REC, 1);
    await expectCode(ob.addChunk(REC, 5, chunkBytes(5)), 'recording_not_open');
  });

  it('translates QuotaExceededError to quota_exceeded', () => {
    const dom = Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    expect(translateStorageError(dom).code).toBe('quota_exceeded');
    const abort = { name: 'AbortError', target: { error: { name: 'QuotaExceededError' } } };
    expect(translateStorageError(abort).code).toBe('quota_exceeded');
    expect(translateStorageError(new Error('x')).code).toBe('storage_failed');
  });

  it('surfaces a quota failure of the write itself as quota_exceeded, and stores nothing', async () => {
    const ob = await freshOutbox();
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    // fake-indexeddb has no quota: make the chunk store's add throw as Chromium's does.
    const store = (globalThis as unknown as { IDBObjectStore: { prototype: { add: (...a: unknown[]) => unknown } } }).IDBObjectStore.prototype;
    const original = store.add;
    store.add = function () {
      throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    };
    try {
      await expectCode(ob.addChunk(REC, 0, chunkBytes(0)), 'quota_exceeded');
    } finally {
      store.add = original;
    }
    expect(await ob.listChunks(REC)).toHaveLength(0);
    expect((await ob.getRecording(REC))!.totalBytes).toBe(0);
  });
});

describe('stopRecording', () => {
  it('records the total and the chunks digest of the local copy', async () => {
    const ob = await freshOutbox();
    await recordInto(ob, REC, 3, { stop: false });
    const rec = await ob.stopRecording(REC, 3);
    expect(rec).toMatchObject({ state: 'stopped', totalChunks: 3, localChunksDigest: await expectedChunksDigest(3) });
    const whole = Buffer.concat([0, 1, 2].map((i) => new Uint8Array(chunkBytes(i))));
    expect(await ob.computeLocalSha256(REC, 3)).toBe(createHash('sha256').update(whole).digest('hex'));
  });

  it('hashes each chunk again: a local copy changed since capture gives a different chunks digest', async () => {
    const ob = await freshOutbox();
    await recordInto(ob, REC, 3, { stop: false });
    await corruptLocalChunk(ob, REC, 1);
    const rec = await ob.stopRecording(REC, 3);
    expect(rec.localChunksDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.localChunksDigest).not.toBe(await expectedChunksDigest(3));
  });

  it('leaves the hash null while a chunk below the total is missing', async () => {
    const ob = await freshOutbox();
    await ob.createRecording({ id: REC, mimeType: 'video/webm' });
    await ob.addChunk(REC, 0, chunkBytes(0));
    await ob.addChunk(REC, 2, chunkBytes(2));
    expect((await ob.stopRecording(REC, 3, 'interrupted')).localChunksDigest).toBeNull();
  });
});

describe('recordingBlob and deleteRecording', () => {
  it('concatenates the chunks in index order', async () => {
    const ob = await freshOutbox();
    await recordInto(ob, REC, 3);
    const blob = await ob.recordingBlob(REC);
    expect(blob!.type).toBe('video/webm');
    const expected = Buffer.concat([0, 1, 2].map((i) => new Uint8Array(chunkBytes(i))));
    expect(Buffer.from(await blob!.arrayBuffer()).equals(expected)).toBe(true);
  });

  it('refuses to delete a recording the server has not confirmed, unless forced', async () => {
    const ob = await freshOutbox();
    await recordInto(ob, REC, 2);
    await expectCode(ob.deleteRecording(REC), 'not_uploaded');
    expect(await ob.listChunks(REC)).toHaveLength(2);
    await ob.deleteRecording(REC, { force: true });
    expect(await ob.getRecording(REC)).toBeUndefined();
    expect(await ob.listChunks(REC)).toHaveLength(0);
  });

  it('deletes a complete recording and releases bytes when asked', async () => {
    const ob = await freshOutbox();
    await recordInto(ob, REC, 2);
    await ob.completeRecording(REC, { check: { by: 'chunks-digest', digest: 'a'.repeat(64) }, serverSize: 2000, shareUrl: '/s/x', videoUrl: '/v', at: 1, release: true });
    expect(await ob.recordingBlob(REC)).toBeNull();
    expect((await ob.getRecording(REC))!).toMatchObject({ state: 'complete', localCopy: 'released', localBytes: 0 });
    await ob.deleteRecording(REC);
    expect(await ob.getRecording(REC)).toBeUndefined();
  });
});

describe('settings and token', () => {
  it('defaults, merges and validates settings', async () => {
    const ob = await freshOutbox();
    expect(await ob.getSettings()).toEqual(DEFAULT_SETTINGS);
    expect(await ob.saveSettings({ concurrency: 3 })).toMatchObject({ concurrency: 3, maxAttempts: 5 });
    expect((await ob.getSettings()).concurrency).toBe(3);
    await expect(ob.saveSettings({ concurrency: 99 })).rejects.toThrow();
  });

  it('stores and clears the token', async () => {
    const ob = await freshOutbox();
    expect(await ob.getToken()).toBeNull();
    await ob.setToken('t1');
    expect(await ob.getToken()).toBe('t1');
    await ob.setToken(null);
    expect(await ob.getToken()).toBeNull();
  });
});
