/**
 * A full disk answers 507 insufficient_storage and records nothing. Disk + SQLite only: it wraps
 * the disk stores (tests/support/stores.ts) of a server it builds itself, so it is not among the
 * files the server-pg-s3 project runs again (docs/TESTING.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { ApiError } from '../../src/shared/errors.ts';
import { diskStores, intercept } from '../support/stores.ts';
import { client } from './helpers.ts';

/** What every store answers when its disk is full (each maps ENOSPC itself, storage/ports.ts). */
const full = async (): Promise<never> => {
  throw new ApiError('insufficient_storage');
};

describe('full disk', () => {
  it('answers 507 insufficient_storage and records nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-full-'));
    const stores = await diskStores(dataDir);
    const app = buildServer(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }), {
      stores: { ...stores, chunks: intercept(stores.chunks, { put: full }), output: intercept(stores.output, { write: full }) },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, (await addUser(app.outbox.repo, 'full', Date.now())).token);
    const id = (await c.init()).json.sessionId as string;
    const r = await c.chunk(id, 0, Buffer.from('bytes'));
    expect(r.status).toBe(507);
    expect(r.json.error.code).toBe('insufficient_storage');
    expect((await c.status(id)).json.receivedChunks).toBe(0);
    // Out of order (stored, not written into the output): the same answer.
    const late = await c.chunk(id, 3, Buffer.from('later'));
    expect(late.json.error.code).toBe('insufficient_storage');
    expect((await c.status(id)).json.receivedChunks).toBe(0);
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
