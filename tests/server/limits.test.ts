/** Request-rate limits and slow bodies: each has its catalogue code (a full disk: insufficient-storage.test.ts). */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startTestServer } from '../support/server-process.ts';
import { client, sha256 } from './helpers.ts';

describe('rate limits', () => {
  it('answers 429 rate_limited with Retry-After once a user exceeds the per-minute budget', async () => {
    const server = await startTestServer({ env: { OUTBOX_RATE_LIMIT: '5' } });
    const c = client(server.url, await server.createUser('busy'));
    for (let i = 0; i < 5; i++) expect((await c.me()).status).toBe(200);
    const limited = await c.me();
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user has their own budget.
    expect((await client(server.url, await server.createUser('calm')).me()).status).toBe(200);
    await server.stop();
  });

  it('slows down token guessing from one address', async () => {
    const server = await startTestServer({ env: { OUTBOX_AUTH_FAILURE_LIMIT: '3' } });
    const guesser = client(server.url, `obx_${'B'.repeat(43)}`);
    for (let i = 0; i < 3; i++) expect((await guesser.me()).status).toBe(401);
    const blocked = await guesser.me();
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).not.toBeNull();
    await server.stop();
  });
});

describe('slow bodies', () => {
  it('answers 408 request_timeout when a chunk body stalls, keeping nothing', async () => {
    const server = await startTestServer({ env: { OUTBOX_BODY_TIMEOUT_MS: '300' } });
    const c = client(server.url, await server.createUser('slow'));
    const id = (await c.init()).json.sessionId as string;
    const { port } = new URL(server.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(port), '127.0.0.1', () => {
        sock.write(
          `POST /api/v1/videos/chunk?sessionId=${id}&index=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\n` +
            `Content-Type: application/octet-stream\r\nContent-Digest: ${formatContentDigest(sha256(Buffer.alloc(100)))}\r\n` +
            'Content-Length: 100\r\n\r\n0123456789',
        );
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).toContain('"code":"request_timeout"');
    expect((await c.status(id)).json.receivedChunks).toBe(0);
    expect(readdirSync(join(server.dataDir, 'tmp', 'incoming'))).toEqual([]);
    await server.stop();
  });
});
