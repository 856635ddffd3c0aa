/**
 * The page's view of what the uploading context publishes on BroadcastChannel(PROGRESS_CHANNEL):
 * the service worker normally, or the tab that holds the pipeline lock in the page fallback
 * (BroadcastChannel reaches every other channel object of the origin, in this page included).
 * Messages are validated on arrival (parseWorkerMessage), never cast.
 */
import { PROGRESS_CHANNEL, parseWorkerMessage, type WorkerToPage } from '../../shared/messages.ts';
import type { ProgressSnapshot } from '../../shared/progress.ts';
import { Listeners } from './listeners.ts';

export class ProgressFeed {
  latest: ProgressSnapshot | null = null;
  readonly progress = new Listeners<ProgressSnapshot>();
  readonly messages = new Listeners<WorkerToPage>();
  #channel: BroadcastChannel | null = null;

  open(): void {
    if (this.#channel) return;
    this.#channel = new BroadcastChannel(PROGRESS_CHANNEL);
    this.#channel.addEventListener('message', (event) => this.receive(event.data));
  }

  receive(data: unknown): void {
    const message = parseWorkerMessage(data);
    if (!message) return;
    if (message.type === 'pipeline/progress') {
      // Two publishers can briefly overlap (old and new worker around an update): keep the newest.
      if (this.latest && message.snapshot.at < this.latest.at) return;
      this.latest = message.snapshot;
      this.progress.emit(message.snapshot);
    }
    this.messages.emit(message);
  }

  close(): void {
    this.#channel?.close();
    this.#channel = null;
  }
}
