/**
 * The pipeline's ports: everything it needs from the outside world, injected, so the same code
 * runs in the service worker, in the page's fallback, and in Node tests with fakes.
 */
import type { ChunkResponse, FinalizeRequest, FinalizeResponse, InitRequest, VideoStatus } from '../../shared/api.ts';
import type { Logger } from '../../shared/log.ts';
import type { Outbox } from '../../shared/outbox/store.ts';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Connectivity {
  isOnline(): boolean;
  /** Returns an unsubscribe function. */
  onChange(listener: (online: boolean) => void): () => void;
}

export interface ChunkPut {
  sessionId: string;
  index: number;
  data: ArrayBuffer;
  /** Lowercase hex; sent as RFC 9530 `Content-Digest: sha-256=:…:`. */
  sha256: string;
}

/**
 * HTTP operations of API v1. Each resolves with the validated 2xx body or rejects with a
 * TransportError (kind, status, code, retryAfterMs); nothing else is thrown.
 */
export interface Transport {
  /** 201 on creation, 200 with the same session when the recordingId is known. */
  init(req: InitRequest, signal?: AbortSignal): Promise<VideoStatus>;
  putChunk(req: ChunkPut, signal?: AbortSignal): Promise<ChunkResponse>;
  finalize(req: FinalizeRequest, signal?: AbortSignal): Promise<FinalizeResponse>;
  status(videoId: string, signal?: AbortSignal): Promise<VideoStatus>;
}

export interface PipelinePorts {
  outbox: Outbox;
  transport: Transport;
  clock: Clock;
  connectivity: Connectivity;
  logger: Logger;
  /** [0, 1) source for jitter; Math.random by default. */
  random?: () => number;
}

export type BlockedReason = 'offline' | 'auth';

export interface DrainOutcome {
  /** Nothing left to upload or finalize (failed chunks may remain: see `failed`). */
  done: boolean;
  blocked: BlockedReason | null;
  /** Earliest backoff deadline (ms epoch) when the drain returned with work still waiting. */
  nextWakeAt: number | null;
  /** Chunks in state failed, over all recordings. */
  failed: number;
}

/** Real clock and connectivity for browsers (page or worker). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
