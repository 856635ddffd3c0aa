/**
 * Hashing off the event loop: both Sha256Service implementations pass the contract;
 * the worker one survives losing its thread; the server still answers the right whole-video
 * SHA-256 when the worker's running hashes were lost mid-recording (rebuilt from disk).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { InlineSha256 } from '../../src/server/hashing/inline-sha256.ts';
import { WorkerSha256 } from '../../src/server/hashing/worker-sha256.ts';
import { addUser } from '../../src/server/users.ts';
import { chunksDigestOf, client, makeChunks, sha256 } from './helpers.ts';
import { settledStatus } from './settled.ts';
import { runSha256ServiceContract } from './sha256-service.contract.ts';

runSha256ServiceContract('InlineSha256', () => new InlineSha256());
runSha256ServiceContract('WorkerSha256', () => new WorkerSha256());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('WorkerSha256 when its thread is lost', () => {
  it('answers pending digests on this thread, forgets running hashes, and starts a new thread', async () => {
    const s = new WorkerSha256();
    const b = randomBytes(2_000_000);
    s.reset('v');
    await s.update('v', b.subarray(0, 10));
    const pending = [s.digest(b), s.digest(b.subarray(5))];
    await s.close(); // the thread ends with work queued
    expect(await Promise.all(pending)).toEqual([sha(b), sha(b.subarray(5))]);
    // Its running hash went with it: reported unknown, not as a hash of nothing.
    await s.update('v', b.subarray(10, 20));
    expect(await s.peek('v')).toBeNull();
    expect(await s.digest(b.subarray(0, 3))).toBe(sha(b.subarray(0, 3)));
    await s.close();
  });
});

describe('WorkerSha256 whose thread cannot start', () => {
  it('reports the failure once and hashes on this thread from then on', async () => {
    const errors: unknown[] = [];
    const s = new WorkerSha256({ onWorkerError: (e) => errors.push(e), workerUrl: new URL('./no-such-worker.mjs', import.meta.url) });
    const b = randomBytes(1000);
    s.reset('k'); // sent to a thread that never runs: lost
    expect(await s.digest(b)).toBe(sha(b));
    expect(await s.peek('k')).toBeNull();
    s.reset('k');
    await s.update('k', b);
    expect(await s.peek('k')).toBe(sha(b));
    expect(errors).toHaveLength(1);
    await s.close();
  });
});

describe('the server with a hash worker that dies mid-recording', () => {
  it('still ingests (chunks are hashed while received) and records the right SHA-256 after completion', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-hash-worker-'));
    dirs.push(dataDir);
    const hashes = new WorkerSha256();
    const app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir }), { sha256: hashes });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const c = client(url, (await addUser(app.outbox.repo, 'hw', Date.now())).token);
      const id = (await c.init()).json.sessionId as string;
      const chunks = makeChunks(6, 100_000);
      for (let i = 0; i < 3; i++) expect((await c.chunk(id, i, chunks[i]!)).status).toBe(201);
      await hashes.close(); // the worker dies mid-recording
      for (let i = 3; i < 6; i++) expect((await c.chunk(id, i, chunks[i]!)).status).toBe(201);
      const fin = await c.finalize({ sessionId: id, totalChunks: 6 });
      expect(fin.json).toMatchObject({ status: 'complete', chunksDigest: await chunksDigestOf(chunks) });
      // The after-completion job hashes the recorded bytes on the service (a new worker).
      expect((await settledStatus(c, id)).sha256).toBe(sha256(Buffer.concat(chunks)));
    } finally {
      await app.close();
    }
  });
});
