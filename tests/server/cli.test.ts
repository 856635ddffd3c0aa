/** `npm run user -- add|token|revoke <name>` against a running server's data directory. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { lastLine, userCli } from '../support/user-cli.ts';
import { client } from './helpers.ts';

let server: TestServer;

/** `npm` first proves the package script; the other calls skip npm's start-up cost. */
const cli = (...args: string[]) =>
  args[0] === 'npm' ? userCli(args.slice(1), { OUTBOX_DATA_DIR: server.dataDir }, true) : userCli(args, { OUTBOX_DATA_DIR: server.dataDir });

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('user CLI', () => {
  it('adds a user whose token (last line) works; a second add of the same name fails', async () => {
    const added = await cli('npm', 'add', 'dora');
    expect(added.code).toBe(0);
    const token = lastLine(added.stdout);
    expect(token).toMatch(/^obx_[A-Za-z0-9_-]{43}$/);
    expect((await client(server.url, token).me()).json).toMatchObject({ name: 'dora' });
    const dup = await cli('add', 'dora');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
  });

  it('issues a new token and revokes the old one; revoke locks the user out', async () => {
    const old = lastLine((await cli('add', 'ed')).stdout);
    const rotated = await cli('token', 'ed');
    expect(rotated.code).toBe(0);
    const fresh = lastLine(rotated.stdout);
    expect(fresh).not.toBe(old);
    expect((await client(server.url, old).me()).status).toBe(401);
    expect((await client(server.url, fresh).me()).status).toBe(200);
    expect((await cli('revoke', 'ed')).code).toBe(0);
    expect((await client(server.url, fresh).me()).status).toBe(401);
  });

  it('refuses bad usage, bad names and unknown users', async () => {
    expect((await cli('frobnicate', 'x')).code).toBe(2);
    expect((await cli('add', '../evil')).code).toBe(1);
    expect((await cli('token', 'nobody')).code).toBe(1);
  });
});
