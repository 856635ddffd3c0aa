/**
 * Authentication limits nobody can turn against others (red-team finding 1 and the hook part of
 * finding 5): failures are counted per address and per presented credential, a valid token is
 * never refused, the real client address counts behind a trusted proxy, preflights are not
 * failures, and the hook follows the matched route (a %-encoded path is the same route).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client } from '../server/helpers.ts';

const LIMIT = 30;
const BAD = `obx_${'B'.repeat(43)}`;
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  server = await startTestServer({ env: { OUTBOX_AUTH_FAILURE_LIMIT: String(LIMIT), ...env } });
  return server;
}

const me = (s: TestServer, headers: Record<string, string>, path: string = ROUTES.me) => fetch(s.url + path, { headers }).then(async (r) => ({ status: r.status, headers: r.headers, json: await r.json() }));

describe('auth failure limits', () => {
  it('never refuse a valid token after 40 bad-token requests from the same address', async () => {
    const s = await start();
    const token = await s.createUser('victim');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await me(s, { authorization: `Bearer obx_${String(i).padStart(43, 'x')}` })).status);
    // The address is over its limit: junk is answered 429 (with Retry-After) from then on …
    expect(statuses.slice(0, LIMIT).every((st) => st === 401)).toBe(true);
    expect(statuses.slice(LIMIT).every((st) => st === 429)).toBe(true);
    const junk = await me(s, { authorization: `Bearer ${BAD}` });
    expect(junk.status).toBe(429);
    expect(Number(junk.headers.get('retry-after'))).toBeGreaterThan(0);
    // … but a valid token from that same address is answered.
    const ok = await me(s, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.json.name).toBe('victim');
  });

  it('count one presented credential across addresses (behind a trusted proxy)', async () => {
    const s = await start({ OUTBOX_TRUST_PROXY: 'true' });
    for (let i = 0; i < LIMIT; i++) expect((await me(s, { authorization: `Bearer ${BAD}`, 'x-forwarded-for': `10.0.${i}.1` })).status).toBe(401);
    expect((await me(s, { authorization: `Bearer ${BAD}`, 'x-forwarded-for': '10.9.9.9' })).status).toBe(429);
    // Another credential from a fresh address is not blocked by that one's failures.
    expect((await me(s, { authorization: `Bearer obx_${'C'.repeat(43)}`, 'x-forwarded-for': '10.9.9.8' })).status).toBe(401);
  });

  it('count the client address from X-Forwarded-For only with OUTBOX_TRUST_PROXY', async () => {
    const s = await start({ OUTBOX_TRUST_PROXY: '127.0.0.1' });
    for (let i = 0; i < 40; i++) await me(s, { authorization: `Bearer obx_${String(i).padStart(43, 'y')}`, 'x-forwarded-for': '203.0.113.7' });
    // Everyone behind the proxy shares 127.0.0.1; only the abusive client is limited.
    expect((await me(s, { authorization: `Bearer obx_${'D'.repeat(43)}`, 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    expect((await me(s, { authorization: `Bearer obx_${'E'.repeat(43)}`, 'x-forwarded-for': '198.51.100.2' })).status).toBe(401);
  });

  it('do not count requests without any credential', async () => {
    const s = await start();
    for (let i = 0; i < 40; i++) expect((await me(s, {})).status).toBe(401);
    expect((await me(s, { authorization: `Bearer ${BAD}` })).status).toBe(401);
  });

  it('do not count CORS preflights as failures', async () => {
    const s = await start();
    for (let i = 0; i < 40; i++) {
      const pre = await fetch(s.url + ROUTES.chunk, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
      await pre.arrayBuffer();
      expect(pre.status).not.toBe(429);
    }
    expect((await me(s, { authorization: `Bearer ${BAD}` })).status).toBe(401);
  });
});

describe('the auth hook', () => {
  it('decides on the matched route: a %-encoded /api path is authenticated like the plain one', async () => {
    const s = await start();
    const token = await s.createUser('enc');
    const encoded = ROUTES.me.replace('/api/', '/%61pi/');
    expect((await me(s, { authorization: `Bearer ${token}` }, encoded)).status).toBe(200);
    const anonymous = await me(s, {}, encoded);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe('unauthorized');
    // Failures on the encoded path count like any other.
    for (let i = 0; i < LIMIT; i++) await me(s, { authorization: `Bearer ${BAD}` }, encoded);
    expect((await me(s, { authorization: `Bearer ${BAD}` })).status).toBe(429);
  });

  it('answers 401 with a Bearer challenge and private JSON with Cache-Control: no-store', async () => {
    const s = await start();
    const c = client(s.url, await s.createUser('cache'));
    const denied = await me(s, {});
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(denied.headers.get('cache-control')).toBe('no-store');
    const id = (await c.init()).json.sessionId as string;
    for (const answer of [await c.me(), await c.list(), await c.status(id), await c.finalize({ sessionId: id, totalChunks: 1 })]) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });
});
