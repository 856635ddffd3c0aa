/** Runs `npm run user -- …` (or, faster, the script itself) as a child process with `env` added. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/** `viaNpm` proves the package script; otherwise node runs the script, skipping npm's start-up. */
export async function userCli(args: string[], env: Record<string, string>, viaNpm = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = viaNpm
    ? ['npm', ['run', '--silent', 'user', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', 'src/server/cli/user.ts', ...args]];
  try {
    const { stdout, stderr } = await run(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The token line: the last line of the output, alone. */
export const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';
