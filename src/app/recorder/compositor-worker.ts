/**
 * The compositor's worker: reads VideoFrames of the screen and the camera (streams handed over by
 * MediaStreamTrackProcessor on the page) and draws each composite on an OffscreenCanvas whose
 * control the page transferred, so per-frame drawing never runs on the main thread. A frame is
 * drawn whenever either source delivers one: a still screen sends almost no frames (Chromium
 * captures on damage), and the camera then keeps the recording moving.
 */
/// <reference lib="webworker" />
import { drawComposite, type BubblePlacement } from './bubble.ts';
import { isCompositorCommand, type CompositorEvent } from './compositor-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let placement: BubblePlacement = { x: 0.85, y: 0.8 };
let running = false;
let ticker: ReturnType<typeof setInterval> | null = null;
const latest: { screen: VideoFrame | null; camera: VideoFrame | null } = { screen: null, camera: null };
let frames = 0;
let drawMs = 0;

function post(e: CompositorEvent): void {
  self.postMessage(e);
}

async function pump(stream: ReadableStream<VideoFrame>, key: 'screen' | 'camera', draw: () => void): Promise<void> {
  const reader = stream.getReader();
  try {
    while (running) {
      const { value, done } = await reader.read();
      if (done) break;
      latest[key]?.close();
      latest[key] = value;
      draw();
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function start(canvas: OffscreenCanvas, screen: ReadableStream<VideoFrame>, camera: ReadableStream<VideoFrame> | null): void {
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) return;
  running = true;
  const draw = () => {
    const s = latest.screen;
    if (!s) return;
    const t0 = performance.now();
    if (canvas.width !== s.displayWidth || canvas.height !== s.displayHeight) {
      canvas.width = s.displayWidth;
      canvas.height = s.displayHeight;
    }
    const c = latest.camera;
    drawComposite(
      ctx,
      canvas.width,
      canvas.height,
      { image: s, width: s.displayWidth, height: s.displayHeight },
      c ? { image: c, width: c.displayWidth, height: c.displayHeight } : null,
      placement,
    );
    drawMs += performance.now() - t0;
    if (++frames % 30 === 0) post({ type: 'compositor/stats', frames, drawMs });
  };
  void pump(screen, 'screen', draw);
  if (camera) void pump(camera, 'camera', draw);
}

function stop(): void {
  running = false;
  if (ticker) clearInterval(ticker);
  ticker = null;
  latest.screen?.close();
  latest.camera?.close();
  latest.screen = latest.camera = null;
  post({ type: 'compositor/stats', frames, drawMs });
}

self.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (!isCompositorCommand(m)) return;
  switch (m.type) {
    case 'compositor/start':
      placement = m.placement;
      start(m.canvas, m.screen, m.camera);
      break;
    case 'compositor/tick-start':
      ticker = setInterval(() => post({ type: 'compositor/tick' }), m.intervalMs);
      break;
    case 'compositor/placement':
      placement = m.placement;
      break;
    case 'compositor/stop':
      stop();
      break;
  }
});
