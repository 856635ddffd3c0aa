/** The static app, SPA fallback, security headers, the public share page and its file. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/server/http/security-headers.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';

const staticDir = mkdtempSync(join(tmpdir(), 'outbox-static-'));
let server: TestServer;
let c: Client;

beforeAll(async () => {
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(staticDir, 'sw.js'), 'self.addEventListener("install", () => {});');
  writeFileSync(join(staticDir, 'assets', 'index-abc123.js'), 'console.log(1)');
  server = await startTestServer({ staticDir });
  c = client(server.url, await server.createUser('web'));
});
afterAll(async () => {
  await server.stop();
  rmSync(staticDir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers });

describe('static app', () => {
  it('serves index.html and sw.js with no-cache, hashed assets immutable, all with security headers', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>app</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('access-control-allow-origin')).toBeNull();
    expect((await get('/sw.js')).headers.get('cache-control')).toBe('no-cache');
    expect((await get('/assets/index-abc123.js')).headers.get('cache-control')).toContain('immutable');
  });

  it('falls back to index.html for app routes but not for missing files or /api', async () => {
    const route = await get('/recordings/123');
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>app</title>');
    expect((await get('/missing.png')).status).toBe(404);
    const api = await get('/api/v1/whatever', { authorization: `Bearer ${c.token}` });
    expect(api.status).toBe(404);
    expect(((await api.json()) as any).error.code).toBe('not_found');
  });

  it('says how to build when there is no build', async () => {
    const bare = await startTestServer({ staticDir: join(staticDir, 'nope') });
    const res = await fetch(bare.url + '/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build');
    await bare.stop();
  });
});

describe('public sharing', () => {
  it('serves a player page and the file without auth, only once complete', async () => {
    const init = (await c.init({ title: '<b>Team & demo</b>' })).json;
    const shareId = String(init.shareUrl).split('/s/')[1]!;
    const pending = await get(`/s/${shareId}`);
    expect(pending.status).toBe(200);
    expect(await pending.text()).toContain('still being uploaded');
    const early = await get(`/api/v1/shared/${shareId}/file`);
    expect(early.status).toBe(409);

    const chunks = makeChunks(2, 300);
    await uploadAll(c, init.sessionId, chunks);
    await c.finalize({ sessionId: init.sessionId, totalChunks: 2 });
    const page = await get(`/s/${shareId}`);
    const html = await page.text();
    expect(html).toMatch(new RegExp(`<video controls playsinline preload="metadata" poster="[^"]+" src="http://127\\.0\\.0\\.1:\\d+/api/v1/shared/${shareId}/file">`));
    expect(html).toContain('&#60;b&#62;Team &#38; demo&#60;/b&#62;');
    expect(html).not.toContain('<script');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);

    const file = await get(`/api/v1/shared/${shareId}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/webm');
    expect(sha256(Buffer.from(await file.arrayBuffer()))).toBe(sha256(Buffer.concat(chunks)));
    const part = await get(`/api/v1/shared/${shareId}/file`, { range: 'bytes=0-9' });
    expect(part.status).toBe(206);
    // The share id is not the video id: the video id does not open the share.
    expect((await get(`/api/v1/shared/${init.videoId}/file`)).status).toBe(404);
    expect((await get(`/s/${init.videoId}`)).status).toBe(404);
  });
});
