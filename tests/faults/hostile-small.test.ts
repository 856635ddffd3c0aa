/**
 * The smaller red-team findings (point 5), each over real HTTP: an aborted body's temp file,
 * CR/LF in mimeType, bidi overrides in titles, HEAD's Content-Length, Node's own parser errors
 * in the catalogue's format, and source maps kept private. (The %-encoded path, no-store and
 * WWW-Authenticate are in hostile-auth.test.ts.)
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveBody } from '../../src/server/ingest/chunk-body.ts';
import { ErrorBody } from '../../src/shared/api.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, makeChunks, sha256, uploadAll, type Client } from '../server/helpers.ts';

/** Sends `head` + `body` on a raw socket and resolves with everything received until the server closes. */
function rawExchange(port: number, text: string, opts: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const sock = connect(port, '127.0.0.1', () => (opts.end ? sock.end(text) : sock.write(text)));
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('close', () => resolve(got));
    sock.on('error', () => resolve(got));
  });
}

function chunkHead(id: string, index: number, token: string, body: Buffer): string {
  return (
    `POST /api/v1/videos/chunk?sessionId=${id}&index=${index} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/octet-stream\r\nContent-Digest: ${formatContentDigest(sha256(body))}\r\nContent-Length: ${body.length}\r\n\r\n`
  );
}

describe('a body whose connection died before it was read', () => {
  it('leaves no temp file and settles at once (the body timeout is a minute)', async () => {
    // The race, made certain: the client reset the connection while the handler had not started
    // reading (e.g. the temp file was still opening). No 'end' will come and 'close' is past.
    const tmp = mkdtempSync(join(tmpdir(), 'outbox-abort-'));
    try {
      const body = new PassThrough();
      body.write(Buffer.alloc(1_000, 3));
      body.destroy();
      await new Promise((r) => setImmediate(r));
      const started = Date.now();
      await expect(receiveBody(body, { mode: 'file', maxBytes: 1 << 20, tmpDir: tmp })).rejects.toMatchObject({ code: 'request_timeout' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('requests', () => {
  let server: TestServer;
  let c: Client;
  let port: number;
  let staticDir: string;
  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'outbox-static-'));
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(staticDir, 'assets', 'app-abc.js'), 'console.log(1)\n//# sourceMappingURL=app-abc.js.map\n');
    writeFileSync(join(staticDir, 'assets', 'app-abc.js.map'), '{"version":3,"sources":["secret.ts"]}');
    writeFileSync(join(staticDir, 'sw.js.map'), '{"version":3}');
    server = await startTestServer({ staticDir });
    c = client(server.url, await server.createUser('small'));
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('full closes right after the body never leave a temp file behind for more than 1 s', async () => {
    const id = (await c.init()).json.sessionId as string;
    const tmp = join(server.dataDir, 'tmp', 'incoming');
    for (let i = 0; i < 20; i++) {
      const body = Buffer.alloc(64 * 1024, i);
      await rawExchange(port, chunkHead(id, 10 + i, c.token!, body) + body.toString('latin1'), { end: true });
      await expect.poll(() => readdirSync(tmp), { timeout: 1_000, interval: 20 }).toEqual([]);
    }
  });

  it('refuses a mimeType with CR or LF', async () => {
    for (const mimeType of ['video/webm\r\nX-Evil: 1', 'video/webm\n;codecs=vp9', 'video/webm\r;codecs=vp9', 'video/webm\t;codecs=vp9']) {
      const r = await c.init({ mimeType });
      expect(r.status, JSON.stringify(mimeType)).toBe(400);
      expect(r.json.error.code).toBe('validation_failed');
    }
    expect((await c.init({ mimeType: 'video/webm ; codecs="vp9,opus"' })).status).toBe(201);
  });

  it('refuses titles with bidi overrides, isolates or control characters', async () => {
    for (const title of ['evil\u202Egpj.exe', '\u2066x\u2069', 'a\u202Ab', 'line\nbreak', 'nul\u0000']) {
      const r = await c.init({ title });
      expect(r.status, JSON.stringify(title)).toBe(400);
      expect(r.json.error.code).toBe('validation_failed');
    }
    expect((await c.init({ title: 'Démo — עברית ✓' })).status).toBe(201);
  });

  it('answers HEAD on the video file with the Content-Length a GET would have', async () => {
    const id = (await c.init()).json.sessionId as string;
    await uploadAll(c, id, makeChunks(3, 1000));
    const fin = (await c.finalize({ sessionId: id, totalChunks: 3 })).json;
    const shareId = String(fin.shareUrl).split('/s/')[1]!;
    for (const [path, headers] of [
      [`/api/v1/videos/${id}/file`, { authorization: `Bearer ${c.token}` }],
      [`/api/v1/shared/${shareId}/file`, {}],
    ] as const) {
      const head = await fetch(server.url + path, { method: 'HEAD', headers });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(fin.size));
      const ranged = await fetch(server.url + path, { method: 'HEAD', headers: { ...headers, range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-length')).toBe('10');
    }
  });

  it("answers Node's own parser errors in the catalogue's JSON format", async () => {
    const cases = [
      'GET / HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n',
      'NOT A REQUEST\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ];
    for (const text of cases) {
      const reply = await rawExchange(port, text);
      const [head, body] = reply.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1]);
      expect(status, text.slice(0, 30)).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(head).toMatch(/content-type: application\/json/i);
      const parsed = ErrorBody.parse(JSON.parse(body ?? ''));
      expect(['validation_failed', 'header_too_large']).toContain(parsed.error.code);
    }
  });

  it('does not serve source maps', async () => {
    expect((await c.get('/assets/app-abc.js')).status).toBe(200);
    for (const path of ['/assets/app-abc.js.map', '/sw.js.map', '/assets/APP-abc.js.MAP']) {
      const r = await c.get(path);
      expect(r.status, path).toBe(404);
      expect(r.bytes.toString()).not.toContain('secret.ts');
    }
  });
});
