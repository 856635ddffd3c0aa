/**
 * Storage limits (red-team finding 3): per-user bytes, bytes per recording and open sessions
 * per user, each refused with its own catalogue code before anything is stored, counted by the
 * database so concurrent uploads cannot squeeze past; and an open session kept alive by a
 * trickle of chunks still ends at its maximum age.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { MeResponse, ROUTES } from '../../src/shared/api.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { diskLayout } from '../support/stores.ts';
import { client, sha256, type Client } from '../server/helpers.ts';

const CHUNK = 3000;
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const bytes = (seed: number, n = CHUNK) => Buffer.alloc(n, seed);

async function start(env: Record<string, string>): Promise<TestServer> {
  server = await startTestServer({ env: { OUTBOX_MAX_OPEN_SESSIONS: '0', ...env } });
  return server;
}

/** The video's chunk objects in the embedded default's disk layout. */
function chunkFiles(s: TestServer, videoId: string): string[] {
  const dir = diskLayout(s.dataDir).chunkDir(videoId);
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A chunk sent with chunked transfer coding: no Content-Length, so only the commit can refuse it. */
function chunkWithoutLength(s: TestServer, c: Client, sessionId: string, index: number, body: Buffer) {
  return fetch(`${s.url}${ROUTES.chunk}?sessionId=${sessionId}&index=${index}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/octet-stream', 'content-digest': formatContentDigest(sha256(body)) },
    body: new ReadableStream({ start: (ctl) => (ctl.enqueue(body), ctl.close()) }),
    duplex: 'half',
  } as RequestInit).then(async (r) => ({ status: r.status, json: await r.json() }));
}

describe('per-user storage quota', () => {
  it('refuses with user_quota_exceeded, stores nothing, leaves another user unaffected, and lets Retry pass once space is freed', async () => {
    const s = await start({ OUTBOX_USER_QUOTA_BYTES: '10000' });
    const ann = client(s.url, await s.createUser('ann'));
    const bob = client(s.url, await s.createUser('bob'));
    const a1 = (await ann.init()).json.sessionId as string;
    for (let i = 0; i < 3; i++) expect((await ann.chunk(a1, i, bytes(i))).status).toBe(201);

    // In order (memory path), out of order (staged file) and without a Content-Length: all refused.
    const a2 = (await ann.init()).json.sessionId as string;
    for (const refused of [await ann.chunk(a1, 3, bytes(3)), await ann.chunk(a1, 50, bytes(50)), await ann.chunk(a2, 0, bytes(9)), await chunkWithoutLength(s, ann, a2, 1, bytes(8))]) {
      expect(refused.status).toBe(413);
      expect(refused.json.error.code).toBe('user_quota_exceeded');
    }
    expect((await ann.status(a1)).json).toMatchObject({ receivedChunks: 3, bytes: 9000, chunks: [[0, 2]] });
    expect((await ann.status(a2)).json).toMatchObject({ receivedChunks: 0, bytes: 0 });
    expect(chunkFiles(s, a1)).toEqual([]);
    expect(chunkFiles(s, a2)).toEqual([]);
    await expect.poll(() => readdirSync(join(s.dataDir, 'tmp', 'incoming'))).toEqual([]);

    const me = MeResponse.parse((await ann.me()).json);
    expect(me.usage).toEqual({ bytes: 9000, openSessions: 2 });
    expect(me.limits).toEqual({ userBytes: 10000, openSessions: null, recordingBytes: 8 * 1024 ** 3 });

    // Another user has their own quota.
    const b1 = (await bob.init()).json.sessionId as string;
    for (let i = 0; i < 3; i++) expect((await bob.chunk(b1, i, bytes(i))).status).toBe(201);

    // Space freed (a recording deleted): the same chunk now passes.
    expect((await ann.remove(a1)).status).toBe(204);
    expect((await ann.chunk(a2, 0, bytes(9))).status).toBe(201);
    expect(MeResponse.parse((await ann.me()).json).usage).toEqual({ bytes: CHUNK, openSessions: 1 });
  });

  it('holds under concurrent uploads to several sessions: the database counts, not a check-then-write race', async () => {
    const s = await start({ OUTBOX_USER_QUOTA_BYTES: '10000' });
    const c = client(s.url, await s.createUser('racer'));
    const ids = await Promise.all([1, 2, 3, 4, 5].map(async () => (await c.init()).json.sessionId as string));
    const answers = await Promise.all(ids.flatMap((id, v) => [0, 1].map((i) => c.chunk(id, i, bytes(v * 2 + i)))));
    const accepted = answers.filter((a) => a.status === 201).length;
    expect(accepted).toBe(3);
    expect(answers.filter((a) => a.status === 413).every((a) => a.json.error.code === 'user_quota_exceeded')).toBe(true);
    expect(MeResponse.parse((await c.me()).json).usage.bytes).toBe(3 * CHUNK);
  });
});

describe('bytes per recording', () => {
  it('refuses with recording_too_large and keeps the chunks already held', async () => {
    const s = await start({ OUTBOX_MAX_RECORDING_BYTES: '5000' });
    const c = client(s.url, await s.createUser('long'));
    const id = (await c.init()).json.sessionId as string;
    expect((await c.chunk(id, 0, bytes(0))).status).toBe(201);
    const refused = await c.chunk(id, 1, bytes(1));
    expect(refused.status).toBe(413);
    expect(refused.json.error.code).toBe('recording_too_large');
    expect((await c.status(id)).json).toMatchObject({ receivedChunks: 1, bytes: CHUNK });
    // A second recording has its own allowance.
    const other = (await c.init()).json.sessionId as string;
    expect((await c.chunk(other, 0, bytes(1))).status).toBe(201);
  });
});

describe('open sessions per user', () => {
  it('refuses a new session with too_many_open_sessions, answers a repeated init, and frees a slot on completion', async () => {
    const s = await start({ OUTBOX_MAX_OPEN_SESSIONS: '2' });
    const c = client(s.url, await s.createUser('many'));
    const first = await c.init();
    const second = await c.init();
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await c.init();
    expect(third.status).toBe(409);
    expect(third.json.error.code).toBe('too_many_open_sessions');
    expect((await c.list()).json.videos).toHaveLength(2);
    expect((await c.init({ recordingId: first.json.recordingId })).status).toBe(200);
    expect((await client(s.url, await s.createUser('few')).init()).status).toBe(201);
    await c.chunk(first.json.sessionId, 0, bytes(0));
    expect((await c.finalize({ sessionId: first.json.sessionId, totalChunks: 1 })).json.status).toBe('complete');
    expect((await c.init()).status).toBe(201);
  });
});

describe('maximum session age', () => {
  it('expires an open session that keeps receiving chunks once it is older than OUTBOX_SESSION_MAX_AGE_MS', async () => {
    let now = Date.UTC(2031, 0, 1);
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-maxage-'));
    const app = buildServer(
      loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir, OUTBOX_SESSION_TTL_MS: '600000', OUTBOX_SESSION_MAX_AGE_MS: '3600000' }),
      { clock: () => now },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, (await addUser(app.outbox.repo, 'trickle', now)).token);
    const id = (await c.init()).json.sessionId as string;
    // A chunk every 5 minutes: never idle for the 10-minute TTL.
    for (let i = 0; i < 12; i++) {
      expect((await c.chunk(id, i, bytes(i, 100))).status).toBe(201);
      now += 5 * 60_000;
      await app.outbox.sweep();
      expect((await c.status(id)).json.state).toBe('open');
    }
    now += 5 * 60_000;
    expect(await app.outbox.sweep()).toBe(1);
    expect((await c.status(id)).json.state).toBe('expired');
    const late = await c.chunk(id, 12, bytes(12, 100));
    expect(late.status).toBe(410);
    expect(late.json.error.code).toBe('session_expired');
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
