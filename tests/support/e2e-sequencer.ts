/**
 * Test order for e2e-slots.ts: vitest hands files to its workers in this order, so the e2e files
 * that mostly wait are interleaved with the CPU-bound ones (CPU, waiting, CPU, waiting, …) and a
 * free worker finds a waiting file to run beside the CPU-bound one instead of queuing for the slot.
 * Within each kind, and for every other project, vitest's own order (longest first) is kept.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { isWaitingFile } from './e2e-slots.ts';

export class E2eInterleavingSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isE2e = (s: TestSpecification) => s.project.name === 'e2e';
    const cpu = sorted.filter((s) => isE2e(s) && !isWaitingFile(s.moduleId));
    const waiting = sorted.filter((s) => isE2e(s) && isWaitingFile(s.moduleId));
    const e2e: TestSpecification[] = [];
    while (cpu.length || waiting.length) {
      const c = cpu.shift();
      if (c) e2e.push(c);
      const w = waiting.shift();
      if (w) e2e.push(w);
    }
    // The e2e files keep their block's place (sort() put each project's files together).
    const first = sorted.findIndex(isE2e);
    if (first === -1) return sorted;
    const rest = sorted.filter((s) => !isE2e(s));
    return [...rest.slice(0, first), ...e2e, ...rest.slice(first)];
  }
}
