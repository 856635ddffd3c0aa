/**
 * Database locked/busy: another process holds SQLite's write lock
 * (`BEGIN EXCLUSIVE`) on the server's database. Writes must either wait (busy_timeout) and
 * succeed, or be answered 503 `service_unavailable` with Retry-After — never 500 — and the
 * service must work normally once the lock is gone.
 *
 * The lock holder is a separate process on purpose: better-sqlite3 is synchronous, so while the
 * server waits on busy_timeout its whole event loop waits; a holder in the same process could
 * never release the lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/server/paths.ts';
import { recordReliabilityCase } from '../support/reliability-report.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { chunksDigestOf, client, makeChunks, sha256, type Answer, type Client } from '../server/helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let server: TestServer;
let c: Client;

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('busy'));
});
afterAll(() => server.stop());

/** Holds an exclusive write lock on the database for `ms`, from another process. Resolves once locked. */
async function holdWriteLock(ms: number): Promise<{ released: Promise<void>; proc: ChildProcess }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, Number(process.argv[2]));
  `;
  const proc = spawn(process.execPath, ['-e', script, databaseFile(server.dataDir), String(ms)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((r) => proc.once('exit', () => r()));
  await new Promise<void>((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && ok());
    proc.once('exit', (code) => fail(new Error(`lock holder exited with ${code} before locking`)));
  });
  return { released, proc };
}

function expectWaitedOrUnavailable(a: Answer, okStatus: number[]): void {
  if (okStatus.includes(a.status)) return;
  expect({ status: a.status, code: a.json?.error?.code }).toEqual({ status: 503, code: 'service_unavailable' });
  expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('database locked by another process', () => {
  it('waits through a short lock: writes succeed, nothing is a 500', async () => {
    const chunks = makeChunks(3, 4096);
    const id = (await c.init()).json.sessionId as string;
    const lock = await holdWriteLock(1_500);
    const answers = await Promise.all([c.init(), c.chunk(id, 0, chunks[0]!), c.chunk(id, 1, chunks[1]!), c.status(id)]);
    await lock.released;
    expectWaitedOrUnavailable(answers[0], [201]);
    expectWaitedOrUnavailable(answers[1], [201]);
    expectWaitedOrUnavailable(answers[2], [201]);
    expect(answers[3].status).toBe(200);
    for (let i = 0; i < 3; i++) expect([200, 201]).toContain((await c.chunk(id, i, chunks[i]!)).status);
    expect((await c.finalize({ sessionId: id, totalChunks: 3 })).json).toMatchObject({ status: 'complete', size: Buffer.concat(chunks).length, chunksDigest: await chunksDigestOf(chunks) });
  });

  it('answers 503 with Retry-After (never 500) when the lock outlasts busy_timeout, and recovers', async () => {
    const started = Date.now();
    const chunks = makeChunks(4, 4096);
    const id = (await c.init()).json.sessionId as string;
    expect((await c.chunk(id, 0, chunks[0]!)).status).toBe(201);
    const lock = await holdWriteLock(7_000);
    const during = await Promise.all([c.chunk(id, 1, chunks[1]!), c.init()]);
    await lock.released;
    for (const a of during) expectWaitedOrUnavailable(a, [201]);

    for (let i = 0; i < chunks.length; i++) expect([200, 201]).toContain((await c.chunk(id, i, chunks[i]!)).status);
    const whole = Buffer.concat(chunks);
    expect((await c.finalize({ sessionId: id, totalChunks: 4 })).json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestOf(chunks) });
    const file = (await c.file(id)).bytes;
    expect(file.equals(whole)).toBe(true);
    recordReliabilityCase({
      case: 'server-db-busy',
      fault: 'SQLite write lock (BEGIN EXCLUSIVE) held by another process for 1.5 s and 7 s (busy_timeout 5 s)',
      bytesRecorded: whole.length,
      bytesStored: file.length,
      chunks: chunks.length,
      duplicatesStored: file.length > whole.length ? 1 : 0,
      sha256Match: sha256(file) === sha256(whole),
      durationMs: Date.now() - started,
      notes: `answers during the long lock: ${during.map((a) => a.status).join(', ')}`,
    });
  }, 60_000);
});
