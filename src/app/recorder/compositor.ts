/**
 * Screen + camera as one video track: the camera as a round bubble over the screen, drawn on a
 * canvas whose `captureStream()` is what MediaRecorder records — so the file holds the bubble.
 *
 * Two ways to draw, chosen by what the browser has:
 * - **worker** (Chromium): `MediaStreamTrackProcessor` turns each track into a stream of
 *   VideoFrames, both streams and the canvas (`transferControlToOffscreen`) are transferred to a
 *   worker, and the worker draws. The main thread does no per-frame work at all.
 * - **main** (Firefox, Safari: no MediaStreamTrackProcessor on the page): two muted <video>
 *   elements drawn onto the canvas on the main thread, paced by a worker timer because page
 *   timers and requestAnimationFrame are throttled or stopped in a background tab — and while
 *   recording a screen, the app's tab is usually in the background.
 * Each reports its drawing cost per frame (`stats()`), which bench/composite.ts compares.
 */
import { drawComposite, type BubblePlacement } from './bubble.ts';
import { isCompositorEvent, type CompositorCommand } from './compositor-protocol.ts';

export type CompositorMode = 'worker' | 'main';

export interface CompositorStats {
  mode: CompositorMode;
  frames: number;
  /** Drawing time summed over frames, where it ran (worker or main thread). */
  drawMs: number;
  /** Of that, time spent on the page's main thread. */
  mainThreadMs: number;
}

export interface Composite {
  /** The composited video (one track) to record and preview. */
  readonly stream: MediaStream;
  readonly mode: CompositorMode;
  setPlacement(p: BubblePlacement): void;
  stats(): CompositorStats;
  stop(): void;
}

interface TrackProcessorCtor {
  new (init: { track: MediaStreamTrack }): { readable: ReadableStream<VideoFrame> };
}

const FRAME_RATE = 30;

function processorCtor(): TrackProcessorCtor | null {
  const g = globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessorCtor };
  const canvasOk = typeof HTMLCanvasElement !== 'undefined' && 'transferControlToOffscreen' in HTMLCanvasElement.prototype;
  return g.MediaStreamTrackProcessor && canvasOk && typeof OffscreenCanvas !== 'undefined' ? g.MediaStreamTrackProcessor : null;
}

export function compositorModes(): CompositorMode[] {
  return processorCtor() ? ['worker', 'main'] : ['main'];
}

/**
 * `url` lets bench/composite.ts load its own bundle of the worker. The default must stay the
 * literal `new Worker(new URL(…), …)` form: that is the pattern Vite bundles as a worker (any
 * other shape makes it inline the .ts file as a data: asset that cannot run).
 */
function newWorker(url?: string): Worker {
  if (url) return new Worker(url, { type: 'module', name: 'compositor' });
  return new Worker(new URL('./compositor-worker.ts', import.meta.url), { type: 'module', name: 'compositor' });
}

/**
 * Starts compositing `screen` (its first video track) with `camera` (may be null: screen only).
 * `camera` is handed over: the composite stops it when it stops.
 */
export function startComposite(
  screen: MediaStreamTrack,
  camera: MediaStreamTrack | null,
  placement: BubblePlacement,
  opts: { mode?: CompositorMode; workerUrl?: string } = {},
): Composite {
  const Processor = processorCtor();
  const mode = opts.mode ?? (Processor ? 'worker' : 'main');
  return mode === 'worker' && Processor
    ? workerComposite(Processor, screen, camera, placement, opts.workerUrl)
    : mainComposite(screen, camera, placement, opts.workerUrl);
}

function initialSize(track: MediaStreamTrack): { width: number; height: number } {
  const s = track.getSettings();
  return { width: s.width ?? 1280, height: s.height ?? 720 };
}

function workerComposite(Processor: TrackProcessorCtor, screen: MediaStreamTrack, camera: MediaStreamTrack | null, placement: BubblePlacement, workerUrl?: string): Composite {
  const canvas = document.createElement('canvas');
  Object.assign(canvas, initialSize(screen));
  const stream = canvas.captureStream(FRAME_RATE);
  const offscreen = canvas.transferControlToOffscreen();
  const worker = newWorker(workerUrl);
  const screenFrames = new Processor({ track: screen }).readable;
  const cameraFrames = camera ? new Processor({ track: camera }).readable : null;
  const stats: CompositorStats = { mode: 'worker', frames: 0, drawMs: 0, mainThreadMs: 0 };
  worker.addEventListener('error', (e) => console.error(JSON.stringify({ level: 'error', module: 'outbox:app:compositor', event: 'worker.error', message: e.message })));
  worker.addEventListener('message', (e: MessageEvent) => {
    const m: unknown = e.data;
    if (isCompositorEvent(m) && m.type === 'compositor/stats') Object.assign(stats, { frames: m.frames, drawMs: m.drawMs });
  });
  const send = (m: CompositorCommand, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  send({ type: 'compositor/start', canvas: offscreen, screen: screenFrames, camera: cameraFrames, placement }, [
    offscreen,
    screenFrames,
    ...(cameraFrames ? [cameraFrames] : []),
  ]);
  let stopped = false;
  return {
    stream,
    mode: 'worker',
    setPlacement: (p) => send({ type: 'compositor/placement', placement: p }),
    stats: () => ({ ...stats }),
    stop() {
      if (stopped) return;
      stopped = true;
      send({ type: 'compositor/stop' });
      stream.getTracks().forEach((t) => t.stop());
      // The camera track is the compositor's own clone: stopping it turns the camera off.
      camera?.stop();
      // Let the worker post its last stats before it goes.
      setTimeout(() => worker.terminate(), 500);
    },
  };
}

function playingVideo(track: MediaStreamTrack): HTMLVideoElement {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  v.srcObject = new MediaStream([track]);
  void v.play().catch(() => {});
  return v;
}

function mainComposite(screen: MediaStreamTrack, camera: MediaStreamTrack | null, placement: BubblePlacement, workerUrl?: string): Composite {
  const canvas = document.createElement('canvas');
  Object.assign(canvas, initialSize(screen));
  const ctx = canvas.getContext('2d', { alpha: false })!;
  const stream = canvas.captureStream(FRAME_RATE);
  const screenVideo = playingVideo(screen);
  const cameraVideo = camera ? playingVideo(camera) : null;
  const stats: CompositorStats = { mode: 'main', frames: 0, drawMs: 0, mainThreadMs: 0 };
  let current = placement;
  const draw = () => {
    if (screenVideo.videoWidth === 0) return;
    const t0 = performance.now();
    if (canvas.width !== screenVideo.videoWidth || canvas.height !== screenVideo.videoHeight) {
      canvas.width = screenVideo.videoWidth;
      canvas.height = screenVideo.videoHeight;
    }
    const cam = cameraVideo && cameraVideo.videoWidth > 0 ? { image: cameraVideo, width: cameraVideo.videoWidth, height: cameraVideo.videoHeight } : null;
    drawComposite(ctx, canvas.width, canvas.height, { image: screenVideo, width: screenVideo.videoWidth, height: screenVideo.videoHeight }, cam, current);
    const dt = performance.now() - t0;
    stats.frames++;
    stats.drawMs += dt;
    stats.mainThreadMs += dt;
  };
  const ticker = newWorker(workerUrl);
  ticker.addEventListener('message', (e: MessageEvent) => {
    if (isCompositorEvent(e.data) && e.data.type === 'compositor/tick') draw();
  });
  ticker.postMessage({ type: 'compositor/tick-start', intervalMs: Math.round(1000 / FRAME_RATE) } satisfies CompositorCommand);
  let stopped = false;
  return {
    stream,
    mode: 'main',
    setPlacement: (p) => (current = p),
    stats: () => ({ ...stats }),
    stop() {
      if (stopped) return;
      stopped = true;
      ticker.terminate();
      stream.getTracks().forEach((t) => t.stop());
      camera?.stop();
      for (const v of [screenVideo, cameraVideo]) if (v) v.srcObject = null;
    },
  };
}
