/**
 * createUploadClient: the page's single entry to the uploader (types.ts). It prefers the service
 * worker and falls back to running the pipeline in the page; the UI sees the same progress feed
 * and messages either way.
 *
 * While the page is open and something waits for the server, the page also asks for a drain when
 * the announced next try is due: the worker's own timer dies with the worker, and Chromium stops
 * an idle worker after 30 s even with pages open; a message starts it again.
 */
import type { PageToWorker } from '../../shared/messages.ts';
import type { Outbox } from '../../shared/outbox/store.ts';
import { ProgressFeed } from './progress-feed.ts';
import type { UploadClient, UploadHost } from './types.ts';
import { WorkerHost } from './worker-host.ts';

export interface UploadClientOptions {
  /** URL of the built worker; vite-plugin-pwa emits it at /sw.js. */
  swUrl?: string;
  /** Skip the service worker and run the pipeline in this page (tests, diagnostics). */
  forcePageFallback?: boolean;
}

export function createUploadClient(outbox: Outbox, opts: UploadClientOptions = {}): UploadClient {
  const feed = new ProgressFeed();
  const worker = new WorkerHost();
  let send: ((m: PageToWorker) => void) | null = null;
  let started: Promise<UploadHost> | null = null;
  // Notifications before start() resolved are kept and delivered in order once a host exists.
  const early: PageToWorker[] = [];
  const post = (m: PageToWorker) => (send ? send(m) : early.push(m));
  let wakeTimer: { at: number; id: ReturnType<typeof setTimeout> } | null = null;
  feed.progress.add((s) => {
    const due = s.recordings.filter((r) => r.phase === 'waiting-server' && r.nextTryAt !== null).map((r) => r.nextTryAt!);
    const at = due.length > 0 ? Math.min(...due) : null;
    if (wakeTimer && wakeTimer.at === at) return;
    if (wakeTimer) clearTimeout(wakeTimer.id);
    wakeTimer = at === null ? null : { at, id: setTimeout(() => ((wakeTimer = null), post({ type: 'pipeline/drain' })), Math.max(0, at - Date.now()) + 1000) };
  });

  async function startHost(): Promise<UploadHost> {
    feed.open();
    let host: UploadHost;
    if (!opts.forcePageFallback && (await worker.register(opts.swUrl ?? '/sw.js'))) {
      send = (m) => worker.send(m);
      host = 'service-worker';
    } else {
      const { PageHost } = await import('./page-host.ts');
      const page = new PageHost(outbox);
      send = (m) => page.send(m);
      void page.start();
      host = 'page-fallback';
    }
    for (const m of early.splice(0)) send(m);
    send({ type: 'pipeline/progress-request' });
    return host;
  }

  return {
    start: () => (started ??= startHost()),
    notifyChunkAdded: (recordingId, index) => post({ type: 'outbox/chunk-added', recordingId, index }),
    notifyStopped: (recordingId, totalChunks) => post({ type: 'outbox/recording-stopped', recordingId, totalChunks }),
    retry: (recordingId) => post(recordingId ? { type: 'pipeline/retry', recordingId } : { type: 'pipeline/retry' }),
    settingsChanged: () => post({ type: 'settings/changed' }),
    tokenChanged: () => post({ type: 'auth/token-changed' }),
    get latest() {
      return feed.latest;
    },
    onProgress: (listener) => feed.progress.add(listener),
    onMessage: (listener) => feed.messages.add(listener),
    onUpdateAvailable(listener) {
      const off = worker.updates.add(listener);
      // The update may have been found before the UI subscribed.
      if (worker.updateWaiting) queueMicrotask(() => listener());
      return off;
    },
    applyUpdate: () => worker.applyUpdate(),
  };
}
