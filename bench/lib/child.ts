/**
 * Runs a server as a child process (so its CPU and memory are its own, as in production) through
 * the one launcher (tests/support/launcher.ts), and reads its RSS and CPU time from /proc. The
 * bench servers print one JSON line `{"port": N}` when listening.
 */
import { readFileSync } from 'node:fs';
import { launch, listeningPort, stopChild, waitForLine } from '../../tests/support/launcher.ts';

export interface ChildServer {
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

export async function spawnBenchServer(script: string, env: Record<string, string>, execArgv: string[] = []): Promise<ChildServer> {
  const server = launch([...execArgv, '--import', 'tsx', script], { env: { ...process.env, ...env }, stderr: 'inherit' });
  exitOnSignals();
  try {
    const port = await waitForLine(server, listeningPort, { what: script });
    return { origin: `http://127.0.0.1:${port}`, pid: server.child.pid!, stop: () => stopChild(server) };
  } catch (err) {
    await stopChild(server, 'SIGKILL');
    throw err;
  }
}

let hooked = false;

/**
 * Ctrl-C or a SIGTERM of the benchmark exits it normally, so that the launcher's exit hook
 * kills every server it started instead of leaving them behind.
 */
export function exitOnSignals(): void {
  if (hooked) return;
  hooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/** Resident set size and its high-water mark of a process, in bytes (Linux /proc). */
export function readRss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU time (user + system, all threads) a process has used so far, in ms (Linux /proc). */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on Linux for every architecture Node supports (proc(5), "clock ticks"). */
const CLOCK_TICKS = 100;

/** Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat). */
export function readMachineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}
