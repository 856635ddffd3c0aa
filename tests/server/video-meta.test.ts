/** Rename, poster and the share page's markup, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { cutStream, liveWebm } from '../support/webm-fixtures.ts';
import { client, uploadAll, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

let server: TestServer;
let c: Client;
let other: Client;
const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(500, 1), Buffer.from('ffd9', 'hex')]);

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('ana'));
  other = client(server.url, await server.createUser('bob'));
});
afterAll(() => server.stop());

const send = (cl: Client, method: string, path: string, body: BodyInit, type: string) =>
  fetch(server.url + path, { method, headers: { authorization: `Bearer ${cl.token}`, 'content-type': type }, body }).then(async (r) => ({ status: r.status, json: await r.json() }));

async function completeVideo(): Promise<{ id: string; shareUrl: string }> {
  const stream = await liveWebm(6);
  const chunks = cutStream(stream, 3, 2);
  const init = (await c.init({ mimeType: 'video/webm', title: 'Demo <b>"x"</b>' })).json;
  await uploadAll(c, init.sessionId, chunks);
  await c.finalize({ sessionId: init.sessionId, totalChunks: chunks.length });
  return { id: init.sessionId, shareUrl: init.shareUrl };
}

describe('rename', () => {
  it('trims and stores a valid title, per user', async () => {
    const id = (await c.init()).json.sessionId;
    const r = await send(c, 'PATCH', ROUTES.video(id), JSON.stringify({ title: '  Weekly demo — 1 Dec  ' }), 'application/json');
    expect(r.status).toBe(200);
    expect(r.json.title).toBe('Weekly demo — 1 Dec');
    expect((await c.status(id)).json.title).toBe('Weekly demo — 1 Dec');
    expect((await send(other, 'PATCH', ROUTES.video(id), JSON.stringify({ title: 'mine' }), 'application/json')).status).toBe(404);
  });

  it.each([
    ['empty', '   '],
    ['too long', 'x'.repeat(201)],
    ['a control character', 'a\u0007b'],
    ['a newline', 'a\nb'],
    ['a bidi override', 'invoice\u202Egnp.exe'],
    ['a bidi isolate', 'a\u2066b'],
  ])('refuses a title with %s (validation_failed)', async (_name, title) => {
    const id = (await c.init()).json.sessionId;
    const r = await send(c, 'PATCH', ROUTES.video(id), JSON.stringify({ title }), 'application/json');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('validation_failed');
  });
});

describe('poster', () => {
  it('stores a JPEG and serves it to the owner and by share id; others get 404', async () => {
    const init = (await c.init()).json;
    expect(init.posterUrl).toBeNull();
    const r = await send(c, 'PUT', ROUTES.poster(init.sessionId), JPEG, 'image/jpeg');
    expect(r.status).toBe(200);
    expect(r.json.posterUrl).toMatch(new RegExp(`${ROUTES.sharedPoster(init.shareUrl.split('/').at(-1))}\\?v=\\d+$`));
    expect((await c.get(ROUTES.poster(init.sessionId))).bytes.equals(JPEG)).toBe(true);
    expect((await fetch(r.json.posterUrl)).status).toBe(200);
    expect(Buffer.from(await (await fetch(r.json.posterUrl)).arrayBuffer()).equals(JPEG)).toBe(true);
    expect((await other.get(ROUTES.poster(init.sessionId))).status).toBe(404);
  });

  it('refuses what is not a JPEG (poster_invalid), another type (415) and more than 512 KiB (413)', async () => {
    const id = (await c.init()).json.sessionId;
    const png = await send(c, 'PUT', ROUTES.poster(id), Buffer.from('89504e470d0a1a0a0000', 'hex'), 'image/jpeg');
    expect([png.status, png.json.error.code]).toEqual([415, 'poster_invalid']);
    const typed = await send(c, 'PUT', ROUTES.poster(id), JPEG, 'image/png');
    expect([typed.status, typed.json.error.code]).toEqual([415, 'unsupported_media_type']);
    const big = await send(c, 'PUT', ROUTES.poster(id), Buffer.concat([JPEG, Buffer.alloc(512 * 1024)]), 'image/jpeg');
    expect([big.status, big.json.error.code]).toEqual([413, 'body_too_large']);
    expect((await c.status(id)).json.posterUrl).toBeNull();
  });

  it('serves a neutral image by share id when no poster was uploaded', async () => {
    const init = (await c.init()).json;
    const res = await fetch(server.url + ROUTES.sharedPoster(init.shareUrl.split('/').at(-1)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 3).equals(Buffer.from('ffd8ff', 'hex'))).toBe(true);
  });
});

describe('share page', () => {
  it('has the title (escaped), duration, poster, download and Open Graph / Twitter tags', async () => {
    const { id, shareUrl } = await completeVideo();
    await send(c, 'PUT', ROUTES.poster(id), JPEG, 'image/jpeg');
    // The duration is known once the after-completion job has read the recording.
    await settledStatus(c, id);
    const html = await (await fetch(shareUrl)).text();
    const shareId = shareUrl.split('/').at(-1)!;
    expect(html).toContain('<title>Demo &#60;b&#62;&#34;x&#34;&#60;/b&#62;</title>');
    expect(html).not.toContain('<b>"x"</b>');
    expect(html).toMatch(/<meta property="og:title" content="Demo &#60;b&#62;/);
    expect(html).toContain(`<meta property="og:video" content="${server.url}${ROUTES.sharedFile(shareId)}">`);
    expect(html).toMatch(new RegExp(`<meta property="og:image" content="${server.url}${ROUTES.sharedPoster(shareId)}\\?v=\\d+">`));
    expect(html).toContain('<meta property="og:duration" content="6">');
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(html).toMatch(/<video controls[^>]* poster="[^"]+" src="[^"]+"/);
    expect(html).toContain('<span class="duration">0:06</span>');
    expect(html).toMatch(/<a class="download" href="[^"]+" download="Demo bxb\.webm">Download<\/a>/);
  });
});
