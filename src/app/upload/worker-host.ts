/**
 * Service-worker mode of the UploadClient: registers /sw.js with workbox-window, sends
 * PageToWorker messages, and surfaces updates for the page's update prompt.
 *
 * Messages go to `navigator.serviceWorker.ready`'s *active* worker, not only to the controller:
 * on the first visit the page is not controlled until the new worker's activate has claimed it,
 * and a shift-reloaded page is never controlled, yet the active worker runs the pipeline either
 * way. `ready` resolves once a worker is active, so nothing posted before that is lost; the
 * outbox is the source of truth anyway and the worker drains on start-up.
 */
import { Workbox } from 'workbox-window';
import type { PageToWorker } from '../../shared/messages.ts';
import { Listeners } from './listeners.ts';

export class WorkerHost {
  readonly updates = new Listeners<void>();
  #wb: Workbox | null = null;
  #updateWaiting = false;

  /** Resolves true once registered; false when no service worker can run here. */
  async register(swUrl: string): Promise<boolean> {
    if (!('serviceWorker' in navigator)) return false;
    // Classic script: vite.config.ts builds sw.js as one IIFE bundle (rollupFormat 'iife').
    const wb = new Workbox(swUrl, { scope: '/' });
    wb.addEventListener('waiting', () => {
      this.#updateWaiting = true;
      this.updates.emit();
    });
    try {
      // immediate: do not wait for the window's load event; the recorder may need the worker now.
      const registration = await wb.register({ immediate: true });
      if (!registration) return false;
    } catch (err) {
      console.warn(JSON.stringify({ level: 'warn', module: 'outbox:app:upload', event: 'sw-register-failed', err: String(err) }));
      return false;
    }
    this.#wb = wb;
    return true;
  }

  get updateWaiting(): boolean {
    return this.#updateWaiting;
  }

  send(message: PageToWorker): void {
    void navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage(message));
  }

  /** Activates the waiting worker (SKIP_WAITING) and reloads once it controls the page. */
  async applyUpdate(): Promise<void> {
    const wb = this.#wb;
    if (!wb || !this.#updateWaiting) return;
    wb.addEventListener('controlling', () => window.location.reload());
    wb.messageSkipWaiting();
  }
}
