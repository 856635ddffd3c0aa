/**
 * Starts our server (src/server/main.ts) as a child process with its own data dir, logging at
 * warn, rate limits out of the way, and reads the first user's token from its start-up line.
 * Not tests/support/server-process.ts: the benchmarks need the pid (RSS) and extra node flags
 * (`--cpu-prof`).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { launch, stopChild, waitForLine } from '../../tests/support/launcher.ts';
import { exitOnSignals } from './child.ts';

export interface OurServer {
  origin: string;
  token: string;
  pid: number;
  /** What it wrote to stdout so far (its pino log, at LOG_LEVEL). */
  output: () => string;
  stop(): Promise<void>;
}

export async function startOurServer(dataDir: string, execArgv: string[] = [], env: Record<string, string> = {}): Promise<OurServer> {
  // Always a fresh database: the token comes from the first-user line of an empty one.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const server = launch([...execArgv, '--import', 'tsx', 'src/server/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OUTBOX_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      OUTBOX_RATE_LIMIT: '100000000',
      // Limits far above what a run stores, so their checks are measured but never refuse.
      OUTBOX_USER_QUOTA_BYTES: String(2 ** 40),
      OUTBOX_MAX_OPEN_SESSIONS: '1000000',
      ...env,
    },
    stderr: 'inherit',
  });
  exitOnSignals();
  // main.ts prints "Open this link: <url>/#token=<token>" for the first user of an empty database.
  const { origin, token } = await waitForLine(
    server,
    (line) => {
      const m = /(https?:\/\/[^\s/#]+)\/?#token=([A-Za-z0-9_-]+)/.exec(line);
      return m ? { origin: m[1]!, token: m[2]! } : undefined;
    },
    { what: 'our server' },
  ).catch(async (err: unknown) => {
    await stopChild(server, 'SIGKILL');
    throw err;
  });
  return { origin, token, pid: server.child.pid!, output: server.output, stop: () => stopChild(server) };
}
