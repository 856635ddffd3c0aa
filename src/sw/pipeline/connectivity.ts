/**
 * The Connectivity port for a page or a service worker: `navigator.onLine` and the global
 * `online`/`offline` events. onLine=true only means "a network exists", so the pipeline still
 * treats a failed request as a possible outage (see pipeline.ts).
 */
import type { Connectivity } from './ports.ts';

export function navigatorConnectivity(target: EventTarget = globalThis as unknown as EventTarget): Connectivity {
  return {
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
    onChange(listener) {
      const on = () => listener(true);
      const off = () => listener(false);
      target.addEventListener('online', on);
      target.addEventListener('offline', off);
      return () => {
        target.removeEventListener('online', on);
        target.removeEventListener('offline', off);
      };
    },
  };
}
