/**
 * A client that vanishes mid-body is a client fault: logged as such, never as a 500, nothing
 * kept — on both backends (OUTBOX_TEST_BACKEND).
 */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startTestServer } from '../support/server-process.ts';
import { diskLayout, storageProbe } from '../support/stores.ts';
import { client, sha256 } from './helpers.ts';

describe('client aborts', () => {
  it('logs a chunk upload reset mid-body as client_aborted, not internal_error, and keeps nothing', async () => {
    const logs: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
    const server = await startTestServer({ env: { LOG_LEVEL: 'info' }, deps: { logStream } });
    try {
      const port = Number(new URL(server.url).port);
      const token = await server.createUser('flaky');
      const c = client(server.url, token);
      const id = (await c.init()).json.sessionId as string;

      await new Promise<void>((resolve, reject) => {
        const sock = connect(port, '127.0.0.1', () => {
          sock.write(
            `POST /api/v1/videos/chunk?sessionId=${id}&index=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
              `Content-Type: application/octet-stream\r\nContent-Digest: ${formatContentDigest(sha256(Buffer.alloc(100_000)))}\r\n` +
              'Content-Length: 100000\r\n\r\n' + 'x'.repeat(20_000),
            () => setTimeout(() => (sock.resetAndDestroy(), resolve()), 100),
          );
        });
        sock.on('error', reject);
      });
      // The handler notices the reset asynchronously; wait until it logged the request's end.
      for (let i = 0; i < 50 && !logs.some((l) => l.includes('"http/error"') || l.includes('internal-error')); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(logs.filter((l) => l.includes('http/internal-error'))).toEqual([]);
      expect(logs.some((l) => l.includes('"code":"client_aborted"'))).toBe(true);
      expect((await c.status(id)).json.receivedChunks).toBe(0);
      expect(readdirSync(diskLayout(server.dataDir).receiveDir)).toEqual([]);
      expect(await storageProbe(server).chunkObjects(id)).toEqual([]);
      expect(await storageProbe(server).hasOutput(id)).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
