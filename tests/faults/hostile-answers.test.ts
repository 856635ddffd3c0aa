/**
 * Bounded answers (red-team finding 2): `missing` and stored gaps are index ranges, so a
 * finalize of 100001 chunks with none held answers in well under 1 KB (it was 100001 numbers,
 * and the stored gaps 589 KB a row); the video list is paginated and a walk through it sees
 * every video exactly once.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/server/paths.ts';
import { FinalizeResponse, ROUTES, VIDEO_PAGE_DEFAULT, VideoList, VideoStatus } from '../../src/shared/api.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, type Client } from '../server/helpers.ts';

const TOTAL = 100_001;
const VIDEOS = 250;
let server: TestServer;
let c: Client;

beforeAll(async () => {
  server = await startTestServer({ env: { OUTBOX_MAX_OPEN_SESSIONS: '0' } });
  c = client(server.url, await server.createUser('lister'));
});
afterAll(() => server.stop());

async function rawJson(path: string): Promise<{ status: number; bytes: number; json: any }> {
  const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${c.token}` } });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), json: JSON.parse(text) };
}

describe('missing indices', () => {
  it('answer 100001 missing chunks in under 1 KB, in finalize and status, and store them as ranges', async () => {
    const id = (await c.init()).json.sessionId as string;
    await c.chunk(id, 5, Buffer.from('five'));
    const res = await fetch(server.url + ROUTES.finalize, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: id, totalChunks: TOTAL }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThan(1024);
    expect(FinalizeResponse.parse(JSON.parse(text))).toMatchObject({ status: 'incomplete', receivedChunks: 1, missing: [[0, 4], [6, TOTAL - 1]] });

    const status = await rawJson(ROUTES.video(id));
    expect(status.bytes).toBeLessThan(1024);
    expect(VideoStatus.parse(status.json).missing).toEqual([[0, 4], [6, TOTAL - 1]]);

    const partial = (await c.finalize({ sessionId: id, totalChunks: TOTAL, allowPartial: true })).json;
    expect(partial).toMatchObject({ status: 'complete', partial: true, missing: [[0, 4], [6, TOTAL - 1]] });
    expect(JSON.stringify(partial).length).toBeLessThan(1024);
    const db = new Database(databaseFile(server.dataDir), { readonly: true, fileMustExist: true });
    const row = db.prepare('SELECT gaps FROM videos WHERE id = ?').get(id) as { gaps: string };
    db.close();
    expect(row.gaps.length).toBeLessThan(100);
    await c.remove(id);
  });
});

describe('the video list', () => {
  it(`walks ${VIDEOS} videos page by page, each exactly once, newest first`, async () => {
    const made: string[] = [];
    for (let i = 0; i < VIDEOS; i++) made.push((await c.init({ title: `v${i}` })).json.sessionId);
    const first = await rawJson(ROUTES.list);
    expect(VideoList.parse(first.json).videos).toHaveLength(VIDEO_PAGE_DEFAULT);

    const seen: string[] = [];
    let pages = 0;
    for (let cursor: string | null = null; ; pages++) {
      const page: { status: number; json: any } = await rawJson(`${ROUTES.list}?limit=64${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      const list = VideoList.parse(page.json);
      seen.push(...list.videos.map((v) => v.videoId));
      if (list.nextCursor === null) break;
      cursor = list.nextCursor;
    }
    expect(pages + 1).toBe(Math.ceil(VIDEOS / 64));
    expect(new Set(seen).size).toBe(VIDEOS);
    expect([...seen].sort()).toEqual([...made].sort());
    // Newest first: the last one made comes first (ties within a millisecond are ordered by id).
    expect(seen[0]).toBe(made[made.length - 1]);
  });

  it('refuses a limit out of range or a forged cursor with validation_failed', async () => {
    for (const q of ['limit=0', 'limit=100000', 'limit=abc', 'cursor=!!', `cursor=${Buffer.from('x:y').toString('base64url')}`, 'other=1']) {
      const r = await rawJson(`${ROUTES.list}?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code, q).toBe('validation_failed');
    }
  });
});
