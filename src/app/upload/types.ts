/**
 * What the page's UI needs from the upload machinery, whichever context runs the pipeline
 * (the service worker normally; the page itself under a Web Lock where no worker controls it).
 */
import type { WorkerToPage } from '../../shared/messages.ts';
import type { ProgressSnapshot } from '../../shared/progress.ts';

export type UploadHost = 'service-worker' | 'page-fallback';

export interface UploadClient {
  /** Registers the service worker (or starts the page fallback) and requests a first snapshot. */
  start(): Promise<UploadHost>;
  /** Call after the chunk's outbox write committed. */
  notifyChunkAdded(recordingId: string, index: number): void;
  /** Call after the outbox marked the recording stopped with its total. */
  notifyStopped(recordingId: string, totalChunks: number): void;
  /** Retry failed chunks (of one recording, or all) and finalize again. */
  retry(recordingId?: string): void;
  settingsChanged(): void;
  tokenChanged(): void;
  /** Latest snapshot, or null before the first one arrived. */
  readonly latest: ProgressSnapshot | null;
  onProgress(listener: (snapshot: ProgressSnapshot) => void): () => void;
  onMessage(listener: (message: WorkerToPage) => void): () => void;
  /** A new service worker is waiting; `applyUpdate()` activates it and reloads. */
  onUpdateAvailable(listener: () => void): () => void;
  applyUpdate(): Promise<void>;
}
