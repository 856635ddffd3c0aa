/** Idle sessions expire (driven by an injected clock, sweep called directly) and lose their bytes. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { diskLayout } from '../support/stores.ts';
import { client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';

const TTL = 60_000;
let now = Date.UTC(2030, 0, 1);
let app: FastifyInstance;
let c: Client;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outbox-expiry-'));
  app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir, OUTBOX_SESSION_TTL_MS: String(TTL) }), { clock: () => now });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { token } = await addUser(app.outbox.repo, 'eve', now);
  c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, token);
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('expiry', () => {
  it('expires only sessions idle longer than the TTL and removes their files', async () => {
    const chunks = makeChunks(4, 200);
    const idle = (await c.init()).json.sessionId as string;
    await uploadAll(c, idle, chunks, [0, 2]);
    const active = (await c.init()).json.sessionId as string;
    await uploadAll(c, active, chunks, [1]);
    const done = (await c.init()).json.sessionId as string;
    await uploadAll(c, done, chunks);
    await c.finalize({ sessionId: done, totalChunks: 4 });
    const { output, chunkDir } = diskLayout(dataDir);
    expect(existsSync(output(idle))).toBe(true);
    expect(readdirSync(chunkDir(idle))).toEqual([`2-${sha256(chunks[2]!)}`]);

    now += TTL - 1_000;
    await uploadAll(c, active, chunks, [2]);
    expect(await app.outbox.sweep()).toBe(0);

    now += 2_000;
    expect(await app.outbox.sweep()).toBe(1);
    expect(existsSync(output(idle))).toBe(false);
    expect(existsSync(chunkDir(idle))).toBe(false);
    expect(readdirSync(chunkDir(active))).toHaveLength(2);
    expect((await c.status(idle)).json).toMatchObject({ state: 'expired', receivedChunks: 0, chunks: [] });
    expect((await c.status(done)).json.state).toBe('complete');
    expect((await c.file(done)).status).toBe(200);

    const late = await c.chunk(idle, 1, chunks[1]!);
    expect(late.status).toBe(410);
    expect(late.json.error.code).toBe('session_expired');
    expect((await c.finalize({ sessionId: idle, totalChunks: 4 })).json.error.code).toBe('session_expired');
  });
});
