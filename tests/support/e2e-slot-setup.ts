/**
 * setupFiles of the e2e project: a CPU-bound file takes the CPU slot (e2e-slots.ts) before its
 * own hooks start a browser, and gives it back after its own teardown (after-all hooks run in
 * reverse order of registration, so this one runs last).
 */
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { isWaitingFile, takeCpuSlot } from './e2e-slots.ts';

/** Long enough to wait for the longest CPU-bound file ahead in the queue. */
const SLOT_WAIT_MS = 15 * 60_000;

let release: (() => void) | null = null;
beforeAll(async () => {
  const file = expect.getState().testPath ?? '';
  if (isWaitingFile(file)) return;
  const asked = Date.now();
  release = await takeCpuSlot(inject('e2eSlotPort'));
  const waited = Date.now() - asked;
  if (waited > 1000) console.info(`[e2e-slot] ${file.split('/').pop()} waited ${(waited / 1000).toFixed(1)} s for the CPU slot`);
}, SLOT_WAIT_MS);
afterAll(() => {
  release?.();
  release = null;
});
