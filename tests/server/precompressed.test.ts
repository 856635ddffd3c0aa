/**
 * The built app is served precompressed over real HTTP: brotli or gzip by Accept-Encoding, the
 * decoded bytes equal to the plain file, and the plain file to a client that accepts neither.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';

const DIST = resolve(import.meta.dirname, '../../dist');
let server: TestServer;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ is not built: run `npx vite build` first');
  server = await startTestServer({ staticDir: DIST });
});
afterAll(() => server?.stop());

/** A raw GET (Node's fetch would decode the body and hide the encoding). */
function get(path: string, acceptEncoding: string): Promise<{ status: number; encoding: string | undefined; vary: string | undefined; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request(`${server.url}${path}`, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => ok({ status: res.statusCode!, encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(parts) }));
    });
    req.on('error', fail);
    req.end();
  });
}

const appScript = () => /<script[^>]+src="(\/assets\/index-[^"]+\.js)"/.exec(readFileSync(join(DIST, 'index.html'), 'utf8'))![1]!;

describe('precompressed static assets', () => {
  it.each(['app script', '/sw.js', '/index.html'])('%s: br for br, gzip for gzip, identical bytes once decoded', async (which) => {
    const path = which === 'app script' ? appScript() : which;
    const plain = readFileSync(join(DIST, path));
    const br = await get(path, 'br');
    expect([br.status, br.encoding]).toEqual([200, 'br']);
    expect(br.body.length).toBeLessThan(plain.length);
    expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);
    expect(br.vary).toMatch(/accept-encoding/i);

    const gz = await get(path, 'gzip, deflate');
    expect([gz.status, gz.encoding]).toEqual([200, 'gzip']);
    expect(gunzipSync(gz.body).equals(plain)).toBe(true);

    const identity = await get(path, 'identity');
    expect([identity.status, identity.encoding]).toEqual([200, undefined]);
    expect(identity.body.equals(plain)).toBe(true);
  });
});
