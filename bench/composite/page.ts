/**
 * Runs in Chromium for bench/composite.ts: records the fake screen for `durationMs` three ways —
 * screen only (the baseline), screen + camera composited in the worker, and composited on the
 * main thread — and measures what the main thread pays: long tasks, event-loop lag (a 0 ms timer
 * loop's lateness) and the compositor's own drawing time per frame, wherever it ran.
 */
import { startComposite, type CompositorMode, type CompositorStats } from '../../src/app/recorder/compositor.ts';
import { cornerPlacement } from '../../src/app/recorder/bubble.ts';

export type Variant = 'baseline' | CompositorMode;

export interface VariantResult {
  variant: Variant;
  durationMs: number;
  recordedBytes: number;
  longTasks: number;
  longTaskMs: number;
  lagMs: number[];
  stats: CompositorStats | null;
}

async function run(variant: Variant, durationMs: number): Promise<VariantResult> {
  const screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 30 } } });
  const camera = variant === 'baseline' ? null : await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
  const screenTrack = screen.getVideoTracks()[0]!;
  const composite = variant === 'baseline' ? null : startComposite(screenTrack, camera!.getVideoTracks()[0]!, cornerPlacement(16, 9, 'bottom-right'), { mode: variant, workerUrl: '/compositor-worker.js' });
  const stream = composite ? composite.stream : new MediaStream([screenTrack]);
  let longTasks = 0;
  let longTaskMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      longTasks++;
      longTaskMs += e.duration;
    }
  });
  observer.observe({ type: 'longtask' });
  const lagMs: number[] = [];
  let probing = true;
  const probe = () => {
    const t = performance.now();
    setTimeout(() => {
      lagMs.push(performance.now() - t);
      if (probing) probe();
    }, 0);
  };
  probe();
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
  let recordedBytes = 0;
  recorder.ondataavailable = (e) => (recordedBytes += e.data.size);
  recorder.start(1000);
  await new Promise((r) => setTimeout(r, durationMs));
  recorder.stop();
  await new Promise((r) => (recorder.onstop = r));
  probing = false;
  observer.disconnect();
  composite?.stop();
  // The worker posts its final figures on stop.
  await new Promise((r) => setTimeout(r, 300));
  const stats = composite?.stats() ?? null;
  for (const s of [screen, camera]) s?.getTracks().forEach((t) => t.stop());
  return { variant, durationMs, recordedBytes, longTasks, longTaskMs, lagMs, stats };
}

(globalThis as unknown as { runCompositeBench: typeof runAll }).runCompositeBench = runAll;

async function runAll(durationMs: number): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const v of ['baseline', 'worker', 'main'] as const) out.push(await run(v, durationMs));
  return out;
}
