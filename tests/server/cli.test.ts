/** `npm run user -- add|token|revoke <name>` against a running server's data directory. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client } from './helpers.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
let server: TestServer;

/** `viaNpm` proves the package script; the other calls skip npm's start-up cost. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const viaNpm = args[0] === 'npm';
  const rest = viaNpm ? args.slice(1) : args;
  const [cmd, argv] = viaNpm
    ? ['npm', ['run', '--silent', 'user', '--', ...rest]]
    : [process.execPath, ['--import', 'tsx', 'src/server/cli/user.ts', ...rest]];
  try {
    const { stdout, stderr } = await run(cmd as string, argv as string[], {
      cwd: ROOT,
      env: { ...process.env, OUTBOX_DATA_DIR: server.dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

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
