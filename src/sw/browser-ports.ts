/**
 * The UploadHost as a browser context runs it, in the service worker and the page fallback
 * alike: the pipeline with the HTTP transport against this origin (token read from the outbox on
 * every call, so a token saved by any tab is used at once), the real clock, `navigator.onLine`
 * connectivity; progress and notices on BroadcastChannel(PROGRESS_CHANNEL), which every page
 * listens to whichever context uploads; real timers and `navigator.locks`.
 */
import { consoleLogger } from '../shared/log.ts';
import { PROGRESS_CHANNEL, type WorkerToPage } from '../shared/messages.ts';
import type { Outbox } from '../shared/outbox/store.ts';
import { browserLocks } from './drain-scheduler.ts';
import { navigatorConnectivity } from './pipeline/connectivity.ts';
import { createHttpTransport } from './pipeline/http-transport.ts';
import { UploadPipeline } from './pipeline/pipeline.ts';
import { systemClock } from './pipeline/ports.ts';
import { UploadHost, type UploadHostPorts } from './upload-host.ts';

export interface BrowserHostOptions {
  origin: string;
  /** The global whose `online`/`offline` events drive connectivity (self or window). */
  scope: EventTarget & { navigator: { onLine: boolean } };
  /** Log module prefix, e.g. `outbox:sw`; the pipeline logs under `${logModule}:pipeline`. */
  logModule: string;
  registerSync: (() => Promise<void>) | null;
  periodicSync: UploadHostPorts['periodicSync'];
}

export function createBrowserUploadHost(outbox: Outbox, opts: BrowserHostOptions): UploadHost {
  const pipeline = new UploadPipeline({
    outbox,
    transport: createHttpTransport({ baseUrl: opts.origin, getToken: () => outbox.getToken() }),
    clock: systemClock,
    connectivity: navigatorConnectivity(opts.scope),
    logger: consoleLogger(`${opts.logModule}:pipeline`),
  });
  const channel = new BroadcastChannel(PROGRESS_CHANNEL);
  return new UploadHost({
    pipeline,
    registerSync: opts.registerSync,
    periodicSync: opts.periodicSync,
    publish: (message: WorkerToPage) => channel.postMessage(message),
    isOnline: () => opts.scope.navigator.onLine,
    now: () => systemClock.now(),
    setTimer: (ms, fn) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
    locks: browserLocks(),
    logger: consoleLogger(opts.logModule),
  });
}
