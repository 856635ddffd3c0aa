/**
 * Memory held by slow bodies (red-team finding 4): in-order chunk bodies are gathered in memory
 * only within a budget (OUTBOX_MEMORY_BODY_BYTES in total, …_PER_USER per user); the rest stream
 * to temp files. 20 uploads that each send 15 MiB of a 16 MiB chunk and then pause must not
 * grow the server's resident memory by much more than the budget (before: 20 × 15 MiB).
 *
 * The server is a child process so its RSS is its own; the test waits until the server has
 * *read* every byte sent (its `rchar` in /proc/<pid>/io), not for a time.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { client, sha256 } from '../server/helpers.ts';

const MiB = 1024 * 1024;
const BUDGET = 32 * MiB;
const PER_USER = 16 * MiB;
const BODIES = Number(process.env.HOSTILE_SLOW_BODIES ?? 20);
const DECLARED = 16 * MiB;
const SENT = 15 * MiB;
/** Heap churn, socket and stream buffers, the temp files' page cache is not RSS. */
const SLACK = 64 * MiB;

let server: ServerProcess;
const sockets: Socket[] = [];
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server?.stop();
});

const procField = (pid: number, file: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/${file}`);
  return Number(m[1]);
};
const rssBytes = (pid: number) => procField(pid, 'status', 'VmRSS') * 1024;
const readBytes = (pid: number) => procField(pid, 'io', 'rchar');

describe('slow bodies', () => {
  it(`${BODIES} paused 15 MiB bodies keep RSS growth under the in-memory budget`, async () => {
    server = await startServerProcess({
      env: {
        OUTBOX_MEMORY_BODY_BYTES: String(BUDGET),
        OUTBOX_MEMORY_BODY_BYTES_PER_USER: String(PER_USER),
        OUTBOX_BODY_TIMEOUT_MS: '600000',
        OUTBOX_MAX_OPEN_SESSIONS: '0',
      },
    });
    const port = Number(new URL(server.url).port);
    const users = await Promise.all([0, 1, 2, 3].map(async (u) => client(server.url, await server.createUser(`slow${u}`))));
    // Warm the paths once (code loaded, pools made) so the baseline is a running server.
    const warm = users[0]!;
    const warmId = (await warm.init()).json.sessionId as string;
    expect((await warm.chunk(warmId, 0, Buffer.alloc(MiB, 1))).status).toBe(201);
    const sessions = await Promise.all(Array.from({ length: BODIES }, async (_, i) => {
      const c = users[i % users.length]!;
      return { c, id: (await c.init()).json.sessionId as string };
    }));

    const baseline = rssBytes(server.pid);
    const readBefore = readBytes(server.pid);
    const payload = Buffer.alloc(SENT, 7);
    const digest = formatContentDigest(sha256(Buffer.alloc(DECLARED, 7)));
    for (const { c, id } of sessions) {
      const sock = connect(port, '127.0.0.1');
      sock.on('error', () => {});
      sockets.push(sock);
      sock.write(
        `POST /api/v1/videos/chunk?sessionId=${id}&index=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Digest: ${digest}\r\nContent-Length: ${DECLARED}\r\n\r\n`,
      );
      sock.write(payload);
    }
    await expect
      .poll(() => readBytes(server.pid) - readBefore, { timeout: 120_000, interval: 100 })
      .toBeGreaterThanOrEqual(BODIES * SENT);
    const growth = rssBytes(server.pid) - baseline;
    console.log(JSON.stringify({ event: 'hostile-memory', bodies: BODIES, sentMiB: SENT / MiB, budgetMiB: BUDGET / MiB, rssGrowthMiB: Math.round(growth / MiB) }));
    expect(growth).toBeLessThan(BUDGET + SLACK);
  }, 180_000);
});
