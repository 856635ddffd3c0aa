/**
 * Idle sessions expire (driven by an injected clock, sweep called directly) and lose their bytes,
 * on both backends (OUTBOX_TEST_BACKEND): on disk the output file and the chunk files; on
 * PostgreSQL + S3 the multipart upload is aborted and the pending chunks deleted. The first chunk
 * is one output segment by itself (S3's 5 MiB part minimum there), so the idle session has output
 * bytes to lose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES } from '../../src/server/storage/s3/part-planner.ts';
import { startTestServer, type InProcessTestServer } from '../support/server-process.ts';
import { storageProbe, type StorageProbe } from '../support/stores.ts';
import { testBackend } from '../support/test-backend.ts';
import { client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';

const TTL = 60_000;
let now = Date.UTC(2030, 0, 1);
let server: InProcessTestServer;
let probe: StorageProbe;
let c: Client;

beforeAll(async () => {
  server = await startTestServer({ env: { OUTBOX_SESSION_TTL_MS: String(TTL) }, clock: () => now });
  probe = storageProbe(server);
  c = client(server.url, await server.createUser('eve'));
});
afterAll(() => server.stop());

describe('expiry', () => {
  it('expires only sessions idle longer than the TTL and removes their bytes', async () => {
    const chunks = [makeChunks(1, testBackend() === 'pg-s3' ? MIN_PART_BYTES : 200)[0]!, ...makeChunks(3, 200)];
    const idle = (await c.init()).json.sessionId as string;
    await uploadAll(c, idle, chunks, [0, 2]);
    const active = (await c.init()).json.sessionId as string;
    await uploadAll(c, active, chunks, [1]);
    const done = (await c.init()).json.sessionId as string;
    await uploadAll(c, done, chunks);
    await c.finalize({ sessionId: done, totalChunks: 4 });
    expect(await probe.hasOutput(idle)).toBe(true);
    expect(await probe.chunkObjects(idle)).toEqual([`2-${sha256(chunks[2]!)}`]);

    now += TTL - 1_000;
    await uploadAll(c, active, chunks, [2]);
    expect(await server.app.outbox.sweep()).toBe(0);

    now += 2_000;
    expect(await server.app.outbox.sweep()).toBe(1);
    expect(await probe.hasOutput(idle)).toBe(false);
    expect(await probe.chunkObjects(idle)).toEqual([]);
    expect(await probe.chunkObjects(active)).toHaveLength(2);
    expect((await c.status(idle)).json).toMatchObject({ state: 'expired', receivedChunks: 0, chunks: [] });
    expect((await c.status(done)).json.state).toBe('complete');
    expect(await probe.hasOutput(done)).toBe(true);
    expect((await c.file(done)).status).toBe(200);

    const late = await c.chunk(idle, 1, chunks[1]!);
    expect(late.status).toBe(410);
    expect(late.json.error.code).toBe('session_expired');
    expect((await c.finalize({ sessionId: idle, totalChunks: 4 })).json.error.code).toBe('session_expired');
  });
});
