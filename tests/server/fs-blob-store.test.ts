import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerSha256 } from '../../src/server/hashing/worker-sha256.ts';
import { FsBlobStore } from '../../src/server/storage/fs-blob-store.ts';
import { runBlobStoreContract } from './blob-store.contract.ts';

runBlobStoreContract('FsBlobStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-blobs-'));
  const store = new FsBlobStore(dir);
  await store.init();
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

// The production wiring: in-memory chunks hashed by the worker thread.
runBlobStoreContract('FsBlobStore + WorkerSha256', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-blobs-'));
  const hashes = new WorkerSha256();
  const store = new FsBlobStore(dir, hashes);
  await store.init();
  return {
    store,
    cleanup: async () => {
      await hashes.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('FsBlobStore specifics', () => {
  it('removes leftover temp files from a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-blobs-'));
    const store = new FsBlobStore(dir);
    await store.init();
    writeFileSync(join(dir, 'tmp', 'deadbeef.part'), 'half a chunk');
    expect(await store.removeLeftoverTemps()).toBe(1);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
