/**
 * Page ↔ worker messages: one discriminated union per direction with namespaced tags
 * (Uppy's ServiceWorker.ts style). Validate on arrival (`parseWorkerMessage`; the worker's
 * `checkPageMessage`, src/shared/checks); never trust
 * `event.data as Foo`. The outbox is the only hand-off of data; messages only wake and inform.
 */
import * as z from 'zod/mini';
import { ProgressSnapshot } from './progress.ts';

/** BroadcastChannel name the worker (or the page's fallback pipeline) publishes progress on. */
export const PROGRESS_CHANNEL = 'outbox-recorder/progress';
/** Name of the workbox-background-sync Queue that wakes the uploader (src/sw/background-sync.ts). */
export const SYNC_QUEUE = 'outbox-upload';
/** The Background Sync tag that Queue registers: workbox prefixes its queue names this way. */
export const SYNC_TAG = `workbox-background-sync:${SYNC_QUEUE}`;
/** Periodic Background Sync tag, registered while recordings are unfinished (installed apps in Chromium). */
export const PERIODIC_SYNC_TAG = 'outbox-upload-periodic';
/** Web Lock held by whichever context runs the pipeline, so two never upload at once. */
export const PIPELINE_LOCK = 'outbox-recorder/pipeline';

// `/* @__PURE__ */` on `.check(…)`: a bundler cannot know a method call is free of side effects, and
// would keep zod in the service worker, which imports only this file's constants.
export const PageToWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('outbox/chunk-added'), recordingId: z.uuid(), index: /* @__PURE__ */ z.int().check(z.nonnegative()) }),
  z.object({ type: z.literal('outbox/recording-stopped'), recordingId: z.uuid(), totalChunks: /* @__PURE__ */ z.int().check(z.nonnegative()) }),
  z.object({ type: z.literal('pipeline/drain') }),
  z.object({ type: z.literal('pipeline/retry'), recordingId: z.optional(z.uuid()) }),
  z.object({ type: z.literal('pipeline/progress-request') }),
  z.object({ type: z.literal('settings/changed') }),
  z.object({ type: z.literal('auth/token-changed') }),
]);
export type PageToWorker = z.infer<typeof PageToWorker>;

export const WorkerToPage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pipeline/progress'), snapshot: ProgressSnapshot }),
  z.object({ type: z.literal('recording/complete'), recordingId: z.string(), shareUrl: z.string() }),
  z.object({ type: z.literal('auth/required') }),
]);
export type WorkerToPage = z.infer<typeof WorkerToPage>;

export function parseWorkerMessage(data: unknown): WorkerToPage | null {
  const r = WorkerToPage.safeParse(data);
  return r.success ? r.data : null;
}
