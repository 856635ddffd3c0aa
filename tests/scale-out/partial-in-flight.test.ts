/**
 * A partial completion (finalize with allowPartial) cut short on one node, then another node
 * takes a request for the same video. The node that died had recorded tail segments past a gap:
 * the recorded prefix counts output positions that skip the missing indices, so positions ≠
 * indices from the gap on. The next lock holder must finish that completion — never advance
 * the output by index from there (that would write chunks twice, or a gap chunk into the middle
 * of the tail, and complete with bytes the chunks digest does not describe).
 *
 * "Another node" is this process after the first one's lock is gone: the dead node's half-done
 * work is replayed with the real ingest functions on the same stores and database, stopped
 * after a given number of tail segments (as a kill -9 between two segments leaves it). Which
 * process takes the next request makes no difference: the state is all in the database and the
 * stores, and every request re-reads it under the video's lock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { advanceOutput } from '../../src/server/ingest/segment-assembly.ts';
import { addUser } from '../../src/server/users.ts';
import { chunksDigestOf, client, makeChunks, sha256, uploadAll, type Client } from '../server/helpers.ts';

let app: FastifyInstance;
let c: Client;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outbox-partial-in-flight-'));
  app = buildServer(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, (await addUser(app.outbox.repo, 'pif', Date.now())).token);
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Uploads `held` of `total` chunks, finalizes (incomplete: the gaps are listed), then replays a
 * partial completion that dies after `segments` tail segments (disk: one segment per chunk).
 */
async function cutShortPartial(total: number, held: number[], segments: number): Promise<{ id: string; chunks: Buffer[] }> {
  const id = (await c.init()).json.sessionId as string;
  const chunks = makeChunks(total, 3000);
  await uploadAll(c, id, chunks, held);
  const fin = await c.finalize({ sessionId: id, totalChunks: total });
  expect(fin.json.status).toBe('incomplete');
  const ctx = app.outbox.ctx;
  await ctx.locker.withLock(id, async () => {
    const video = (await ctx.repo.getVideo(id))!;
    const rows = await ctx.repo.listChunks(id);
    const died = new AbortController();
    let written = 0;
    const output = ctx.output;
    const dying = {
      ...ctx,
      output: new Proxy(output, {
        get: (t, p) =>
          p === 'write'
            ? async (...a: Parameters<typeof output.write>) => {
                const r = await output.write(...a);
                if (++written === segments) died.abort();
                return r;
              }
            : (Reflect.get(t, p, t) as (...x: unknown[]) => unknown).bind?.(t) ?? Reflect.get(t, p, t),
      }),
    };
    await advanceOutput(dying, id, { lost: died.signal, video, tail: rows.slice(video.assembledChunks) });
  });
  const st = (await c.status(id)).json;
  expect(st.state).toBe('open');
  return { id, chunks };
}

/**
 * The late gap chunk `late` is refused as 409 session_closed, and the completion the dead node
 * began is finished: partial, with `missing` as its gaps, the kept chunks' digest and bytes.
 */
async function expectLateChunkRefusedAndFinished(
  cut: { id: string; chunks: Buffer[] },
  late: number,
  kept: number[],
  missing: [number, number][],
): Promise<void> {
  const answer = await c.chunk(cut.id, late, cut.chunks[late]!);
  expect(answer.status).toBe(409);
  expect(answer.json.error.code).toBe('session_closed');
  const keptBytes = kept.map((i) => cut.chunks[i]!);
  const st = (await c.status(cut.id)).json;
  expect(st).toMatchObject({ state: 'complete', partial: true, missing });
  expect(st.chunksDigest).toBe(await chunksDigestOf(keptBytes));
  expect(sha256((await c.file(cut.id)).bytes)).toBe(sha256(Buffer.concat(keptBytes)));
}

describe('a partial completion cut short, then a request on another node', () => {
  it('a gap chunk below the recorded prefix is refused (session closed) and the completion is finished, bytes as the digest says', async () => {
    // Held 0 1 3 4, gap 2; the dead node wrote index 3 at output position 2, then died.
    await expectLateChunkRefusedAndFinished(await cutShortPartial(5, [0, 1, 3, 4], 1), 2, [0, 1, 3, 4], [[2, 2]]);
  });

  it('a gap chunk exactly at the recorded prefix (fast path) is refused and the completion finished', async () => {
    // Held 0 2 4 5, gaps 1 and 3; the dead node wrote 2 and 4 at positions 1 and 2 (prefix 3),
    // so the late chunk 3 is "next" by index: the in-order fast path must not take it.
    await expectLateChunkRefusedAndFinished(await cutShortPartial(6, [0, 2, 4, 5], 2), 3, [0, 2, 4, 5], [[1, 1], [3, 3]]);
  });

  it('a retried finalize (without allowPartial) finishes the completion the client asked for', async () => {
    const { id, chunks } = await cutShortPartial(5, [0, 1, 3, 4], 1);
    const fin = await c.finalize({ sessionId: id, totalChunks: 5 });
    const kept = [0, 1, 3, 4].map((i) => chunks[i]!);
    expect(fin.json).toMatchObject({ status: 'complete', partial: true, missing: [[2, 2]], chunksDigest: await chunksDigestOf(kept) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(kept)));
  });
});
