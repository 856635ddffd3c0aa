/** Per-user isolation: another user's ids are 404 not_found on every endpoint, and nothing leaks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { chunksDigestOf, client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

let server: TestServer;
let owner: Client;
let intruder: Client;
let openId: string;
let doneId: string;
const chunks = makeChunks(3, 256);

beforeAll(async () => {
  server = await startTestServer();
  owner = client(server.url, await server.createUser('owner1'));
  intruder = client(server.url, await server.createUser('intruder'));
  openId = (await owner.init()).json.sessionId;
  await uploadAll(owner, openId, chunks, [0]);
  doneId = (await owner.init()).json.sessionId;
  await uploadAll(owner, doneId, chunks);
  await owner.finalize({ sessionId: doneId, totalChunks: 3 });
});
afterAll(() => server.stop());

function expect404(a: { status: number; json?: any; bytes?: Buffer }): void {
  expect(a.status).toBe(404);
  const body = a.json ?? JSON.parse(a.bytes!.toString());
  expect(body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
}

describe("another user's session or video", () => {
  for (const which of ['open', 'complete'] as const) {
    it(`is 404 on every endpoint (${which})`, async () => {
      const id = which === 'open' ? openId : doneId;
      expect404(await intruder.status(id));
      expect404(await intruder.file(id));
      expect404(await intruder.file(id, 'bytes=0-10'));
      expect404(await intruder.chunk(id, 1, chunks[1]!));
      expect404(await intruder.chunk(id, 0, chunks[0]!));
      expect404(await intruder.finalize({ sessionId: id, totalChunks: 3 }));
      expect404(await intruder.remove(id));
      expect((await intruder.list()).json.videos).toEqual([]);
    });
  }

  it('is left untouched by those attempts', async () => {
    const open = (await owner.status(openId)).json;
    expect(open).toMatchObject({ state: 'open', receivedChunks: 1, totalChunks: null });
    const done = await settledStatus(owner, doneId);
    expect(done).toMatchObject({ state: 'complete', sha256: sha256(Buffer.concat(chunks)), chunksDigest: await chunksDigestOf(chunks) });
  });

  it('cannot be claimed by re-using its recordingId', async () => {
    const recordingId = (await owner.status(openId)).json.recordingId;
    const mine = await intruder.init({ recordingId });
    expect(mine.status).toBe(201);
    expect(mine.json.sessionId).not.toBe(openId);
  });
});
