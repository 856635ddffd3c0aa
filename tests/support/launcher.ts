/**
 * The one way tests and benchmarks start a Node server as a child process and wait until it
 * says it listens: `launch()` spawns it with its output captured line by line, `waitForLine()`
 * waits for the line that matters (the listening port, a first-user link …) or fails with the
 * output so far when the process exits or the time runs out, and `stopChild()` ends it.
 * Children still running when this process exits are killed, so a failed run leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

export interface Launched {
  child: ChildProcess;
  /** Resolves once the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** Everything it wrote to stdout and (unless inherited) stderr so far. */
  output(): string;
  /** Its stdout lines so far; `lines.on('line')` hears the next ones. */
  lines: { seen: string[]; events: EventEmitter };
}

export interface LaunchOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** 'pipe' to write to the child (a warm standby that starts on a line); default 'ignore'. */
  stdin?: 'pipe' | 'ignore';
  /** 'inherit' shows the child's stderr on ours instead of capturing it; default 'pipe'. */
  stderr?: 'pipe' | 'inherit';
}

const running = new Set<ChildProcess>();
let hooked = false;

/** Spawns `node <args>` (Node's own binary, so `--import tsx` and flags work alike everywhere). */
export function launch(args: readonly string[], opts: LaunchOptions): Launched {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.stdin ?? 'ignore', 'pipe', opts.stderr ?? 'pipe'] });
  running.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  let log = '';
  const seen: string[] = [];
  const events = new EventEmitter();
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line);
    events.emit('line', line);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  return { child, exited, output: () => log, lines: { seen, events } };
}

/**
 * The first stdout line (already seen or still to come) for which `match` returns a value.
 * Rejects, with the tail of the output, when the process exits first or after `timeoutMs`.
 */
export function waitForLine<T>(l: Launched, match: (line: string) => T | undefined, opts: { what: string; timeoutMs?: number }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tail = () => l.output().slice(-4000);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      l.lines.events.off('line', onLine);
      l.child.off('exit', onExit);
      fn();
    };
    const onLine = (line: string) => {
      const value = match(line);
      if (value !== undefined) done(() => resolve(value));
    };
    const onExit = (code: number | null, signal: string | null) => done(() => reject(new Error(`${opts.what} exited (code ${code}, signal ${signal}) before it was ready:\n${tail()}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`${opts.what} not ready after ${opts.timeoutMs ?? 30_000} ms:\n${tail()}`))), opts.timeoutMs ?? 30_000);
    l.lines.events.on('line', onLine);
    l.child.once('exit', onExit);
    for (const line of l.lines.seen) {
      const value = match(line);
      if (value !== undefined) return done(() => resolve(value));
    }
    if (l.child.exitCode !== null || l.child.signalCode !== null) onExit(l.child.exitCode, l.child.signalCode);
  });
}

/**
 * The port of a "listening" line: our server's pino event `{"event":"server/listening",…,"port":N}`
 * or a benchmark baseline server's `{"port":N}`.
 */
export function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const rec = JSON.parse(line) as { event?: unknown; port?: unknown };
    if (typeof rec.port !== 'number') return undefined;
    return rec.event === undefined || rec.event === 'server/listening' ? rec.port : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` (default SIGTERM), SIGKILL after `graceMs` if still alive; resolves once exited. */
export async function stopChild(l: Launched, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  const { child } = l;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill(signal);
  await l.exited;
  if (timer) clearTimeout(timer);
}
