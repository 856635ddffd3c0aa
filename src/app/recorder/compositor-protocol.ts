/**
 * Messages between the page and the compositor worker. The worker is ours and the transferables
 * (OffscreenCanvas, ReadableStream of VideoFrame) cannot be schema-validated usefully, so arrival
 * is checked by tag and shape in `isCompositorCommand`.
 */
import type { BubblePlacement } from './bubble.ts';

export type CompositorCommand =
  /** Draw frames from the two streams onto the canvas until stopped. */
  | { type: 'compositor/start'; canvas: OffscreenCanvas; screen: ReadableStream<VideoFrame>; camera: ReadableStream<VideoFrame> | null; placement: BubblePlacement }
  /** Fallback mode: the page draws; the worker only sends ticks (worker timers are not throttled in background tabs the way page timers are). */
  | { type: 'compositor/tick-start'; intervalMs: number }
  | { type: 'compositor/placement'; placement: BubblePlacement }
  | { type: 'compositor/stop' };

export type CompositorEvent =
  | { type: 'compositor/tick' }
  /** Per-frame drawing cost measured in the worker (off the main thread). */
  | { type: 'compositor/stats'; frames: number; drawMs: number };

export function isCompositorCommand(v: unknown): v is CompositorCommand {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'compositor/start' || t === 'compositor/tick-start' || t === 'compositor/placement' || t === 'compositor/stop';
}

export function isCompositorEvent(v: unknown): v is CompositorEvent {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'compositor/tick' || t === 'compositor/stats';
}
