/** A client that vanishes mid-body is a client fault: logged as such, never as a 500, nothing kept. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { client, sha256 } from './helpers.ts';

describe('client aborts', () => {
  it('logs a chunk upload reset mid-body as client_aborted, not internal_error, and keeps nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-abort-'));
    const logs: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
    const app = buildServer(loadConfig({ LOG_LEVEL: 'info', PORT: '0', OUTBOX_DATA_DIR: dataDir }), { logStream });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const { token } = await addUser(app.outbox.repo, 'flaky', Date.now());
    const c = client(`http://127.0.0.1:${port}`, token);
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
    expect(readdirSync(join(dataDir, 'tmp', 'incoming'))).toEqual([]);
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
