/**
 * kill -9 of the real server process while chunks are being written, restart on the same data
 * directory: no corrupt chunk is reported as held, and uploading what the server says is
 * missing completes the video with the right SHA-256. The ≥ 50-kill soak lives elsewhere;
 * OUTBOX_CRASH_KILLS scales this one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRanges } from '../../src/shared/ranges.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { chunksDigestOf, client, makeChunks, sha256, shuffle } from './helpers.ts';

const KILLS = Number(process.env.OUTBOX_CRASH_KILLS ?? 3);
const N = 30;
let server: ServerProcess;
let token: string;

beforeAll(async () => {
  server = await startServerProcess();
  token = await server.createUser('crash');
});
afterAll(() => server.stop());

/** Uploads chunks with 3 parallel requests until everything is sent or the server dies. */
function uploadUntilDead(url: string, id: string, chunks: Buffer[], indices: number[]): Promise<void> {
  const c = client(url, token);
  let next = 0;
  return Promise.all(
    Array.from({ length: 3 }, async () => {
      while (next < indices.length) {
        const i = indices[next++]!;
        try {
          await c.chunk(id, i, chunks[i]!);
        } catch {
          return; // connection reset by the kill
        }
      }
    }),
  ).then(() => undefined);
}

describe('crash safety', () => {
  it(`survives ${KILLS} kill -9 during chunk writes and completes with the right SHA-256`, async () => {
    const chunks = makeChunks(N, 512 * 1024);
    const id = (await client(server.url, token).init()).json.sessionId as string;

    const heldAfterKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const status = (await client(server.url, token).status(id)).json;
      const held = new Set(fromRanges(status.chunks));
      const pending = shuffle([...chunks.keys()].filter((i) => !held.has(i)));
      if (pending.length === 0) break;
      const uploading = uploadUntilDead(server.url, id, chunks, pending);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 150));
      await server.kill('SIGKILL');
      await uploading;
      await server.restart();
      heldAfterKill.push(fromRanges((await client(server.url, token).status(id)).json.chunks).length);
    }

    const c = client(server.url, token);
    const status = (await c.status(id)).json;
    expect(status.state).toBe('open');
    const held = new Set(fromRanges(status.chunks));
    expect(heldAfterKill[0]).toBeLessThan(N); // the first kill really interrupted the upload
    for (const i of chunks.keys()) {
      if (held.has(i)) continue;
      const r = await c.chunk(id, i, chunks[i]!);
      expect(r.status).toBe(201);
    }
    // Held chunks re-sent are recognised byte-for-byte (a corrupt one would be a 409).
    for (const i of held) expect((await c.chunk(id, i, chunks[i]!)).status).toBe(200);
    const fin = await c.finalize({ sessionId: id, totalChunks: N });
    const whole = Buffer.concat(chunks);
    expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestOf(chunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(whole));
    expect(server.output()).toContain('"event":"start-up/done"');
  });

  it('shuts down gracefully on SIGTERM and comes back with its data', async () => {
    const c = client(server.url, token);
    const before = (await c.list()).json.videos.length;
    await server.restart();
    expect((await client(server.url, token).list()).json.videos.length).toBe(before);
    expect(server.output()).toContain('"event":"server/stopping"');
  });
});
