/**
 * Access hardening not already proven in tests/server (cross-user 404s, auth rate limit and the
 * static app's headers are): security headers on every kind of answer — API JSON, API errors,
 * the video file, the share page — no CORS for foreign origins, and the video file served with a
 * safe Content-Type and Content-Disposition whatever title and MIME parameters the client chose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, makeChunks, uploadAll, type Client } from '../server/helpers.ts';

let server: TestServer;
let c: Client;
let videoId: string;
let shareId: string;

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('access'));
  // CR/LF in a title is refused at init (hostile-small.test.ts); quotes, slashes and non-ASCII must still be sanitised.
  const init = (await c.init({ title: 'evil"; filename=x.html X-Injected: 1 ../../é', mimeType: 'video/webm;codecs="vp9,opus";x=<html>' })).json;
  videoId = init.sessionId;
  shareId = String(init.shareUrl).split('/s/')[1]!;
  await uploadAll(c, videoId, makeChunks(2, 500));
  await c.finalize({ sessionId: videoId, totalChunks: 2 });
});
afterAll(() => server.stop());

function expectSecurityHeaders(h: Headers, what: string): void {
  expect(h.get('content-security-policy'), what).toContain("default-src 'self'");
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
  expect(h.get('access-control-allow-origin'), what).not.toBe('*');
}

describe('security headers', () => {
  it('are on API answers, errors, files and the share page, with no CORS for a foreign origin', async () => {
    const origin = { origin: 'https://evil.example' };
    const answers: Array<[string, Response]> = [
      ['list', await fetch(server.url + ROUTES.list, { headers: { authorization: `Bearer ${c.token}`, ...origin } })],
      ['401', await fetch(server.url + ROUTES.list, { headers: origin })],
      ['404', await fetch(server.url + '/api/v1/nope', { headers: { authorization: `Bearer ${c.token}`, ...origin } })],
      ['file', await fetch(server.url + ROUTES.file(videoId), { headers: { authorization: `Bearer ${c.token}`, ...origin } })],
      ['shared file', await fetch(server.url + ROUTES.sharedFile(shareId), { headers: origin })],
      ['share page', await fetch(server.url + ROUTES.sharePage(shareId), { headers: origin })],
      ['preflight', await fetch(server.url + ROUTES.chunk, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'POST' } })],
      ['app', await fetch(server.url + '/', { headers: origin })],
    ];
    for (const [what, res] of answers) {
      await res.arrayBuffer();
      expectSecurityHeaders(res.headers, what);
      expect(res.headers.get('access-control-allow-origin'), what).toBeNull();
    }
  });
});

describe('the video file', () => {
  it('is served as its base video type with a sanitised Content-Disposition filename', async () => {
    for (const path of [ROUTES.file(videoId), ROUTES.sharedFile(shareId)]) {
      const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${c.token}` } });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/webm');
      const cd = res.headers.get('content-disposition') ?? '';
      expect(cd).toMatch(/^(inline|attachment); filename="[A-Za-z0-9 ._-]+\.webm"$/);
      // Only the safe character set and a .webm extension: no quote, CRLF, slash or second parameter.
      expect(cd.split(";")).toHaveLength(2);
      expect(res.headers.get('x-injected')).toBeNull();
    }
  });
});
