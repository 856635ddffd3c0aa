/**
 * Two browser test files at a time, but never two that need the CPU: with E2E_WORKERS=2 the e2e
 * project runs two workers, and every file except the few that mostly wait on a clock (a server
 * outage, a throttled link: WAITING_E2E_FILES) first takes the one "CPU slot". So the CPU-bound
 * files still run one after another, as on one worker, and the waiting files run beside them.
 * With the default one worker the slot is always free.
 *
 * The slot is a connection to a tiny server the main vitest process runs (globalSetup below): the
 * server grants it to one connection at a time, in arrival order, and takes it back when that
 * connection closes — also when the worker holding it crashes or is killed, which a lock file
 * would only notice after a stale-lock timeout. Hand-rolled because vitest 4 gives a group of
 * files one worker count and no per-file resource classes, and the few lines here beat a
 * lock-file library's polling and staleness guesses.
 */
import { createServer, connect, type Socket } from 'node:net';
import { basename } from 'node:path';
import type { TestProject } from 'vitest/node';

/** e2e files whose time is mostly a clock they wait on (outages, backoff, throttled links): no CPU slot. */
export const WAITING_E2E_FILES = ['worker-outage', 'fault-network', 'fault-lifecycle', 'fault-server'].map((n) => `${n}.test.ts`);

export const isWaitingFile = (path: string): boolean => WAITING_E2E_FILES.includes(basename(path));

declare module 'vitest' {
  export interface ProvidedContext {
    e2eSlotPort: number;
  }
}

/** globalSetup of the e2e project: the slot server on 127.0.0.1. */
export default async function startSlotServer(project: TestProject): Promise<() => Promise<void>> {
  const queue: Socket[] = [];
  const grantNext = () => {
    const next = queue[0];
    if (next && !next.destroyed) next.write('go\n');
  };
  const server = createServer((socket) => {
    queue.push(socket);
    if (queue.length === 1) grantNext();
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const at = queue.indexOf(socket);
      if (at === -1) return;
      queue.splice(at, 1);
      if (at === 0) grantNext();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('e2eSlotPort', (server.address() as { port: number }).port);
  return async () => {
    for (const s of queue) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
}

/** Waits for the CPU slot; the returned function gives it back. */
export async function takeCpuSlot(port: number): Promise<() => void> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the e2e CPU-slot server closed the connection')));
  });
  return () => socket.destroy();
}
