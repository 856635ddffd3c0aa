/** Start-up reconciliation of a data directory left inconsistent by a crash (states crafted by hand). */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server-process.ts';
import { client, makeChunks, sha256, uploadAll } from './helpers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'outbox-recovery-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('start-up recovery', () => {
  it('cleans temps and orphans, truncates the assembled file, drops records without bytes', async () => {
    const chunks = makeChunks(6, 1000);
    let server = await startTestServer({ dataDir });
    const token = await server.createUser('rec');
    let c = client(server.url, token);
    const id = (await c.init()).json.sessionId as string;
    await uploadAll(c, id, chunks, [0, 1, 3, 4]);
    await server.stop();

    const vdir = join(dataDir, 'blobs', 'videos', id);
    const assembled = join(vdir, 'assembled');
    const goodSize = statSync(assembled).size;
    appendFileSync(assembled, Buffer.alloc(777, 1)); // an append that was never recorded
    unlinkSync(join(vdir, '3.chunk')); // a record whose bytes are gone
    writeFileSync(join(vdir, '5.chunk'), 'renamed but never recorded');
    writeFileSync(join(dataDir, 'blobs', 'tmp', 'abc.part'), 'half-written');

    server = await startTestServer({ dataDir });
    c = client(server.url, token);
    expect(statSync(assembled).size).toBe(goodSize);
    expect(readdirSync(join(dataDir, 'blobs', 'tmp'))).toEqual([]);
    expect(existsSync(join(vdir, '5.chunk'))).toBe(false);
    const st = (await c.status(id)).json;
    expect(st.chunks).toEqual([[0, 1], [4, 4]]);
    expect(st.assembledChunks).toBe(2);

    await uploadAll(c, id, chunks, [2, 3, 5]);
    const fin = await c.finalize({ sessionId: id, totalChunks: 6 });
    expect(fin.json).toMatchObject({ status: 'complete', sha256: sha256(Buffer.concat(chunks)) });
    await server.stop();
  });

  it('removes the bytes of videos the metadata does not know', async () => {
    const orphanDir = join(dataDir, 'blobs', 'videos', 'QQQQQQQQQQQQQQQQQQQQQQ');
    mkdirSync(orphanDir, { recursive: true });
    writeFileSync(join(orphanDir, '0.chunk'), 'lost');
    const server = await startTestServer({ dataDir });
    expect(existsSync(orphanDir)).toBe(false);
    await server.stop();
  });
});
