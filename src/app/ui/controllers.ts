/**
 * Small reactive controllers the shell and views share: browser connectivity and the uploader's
 * progress snapshots. Each re-renders its host when what it holds changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ProgressSnapshot, RecordingProgress } from '../../shared/progress.ts';
import type { UploadClient } from '../upload/types.ts';

export class ConnectivityController implements ReactiveController {
  online = typeof navigator === 'undefined' ? true : navigator.onLine;
  private readonly update = () => {
    this.online = navigator.onLine;
    this.host.requestUpdate();
  };
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    this.online = navigator.onLine;
    addEventListener('online', this.update);
    addEventListener('offline', this.update);
  }
  hostDisconnected(): void {
    removeEventListener('online', this.update);
    removeEventListener('offline', this.update);
  }
}

export class ProgressController implements ReactiveController {
  snapshot: ProgressSnapshot | null = null;
  private off: (() => void) | null = null;
  private client: UploadClient | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Subscribe to a client (idempotent for the same client). */
  attach(client: UploadClient | null | undefined): void {
    if (!client || client === this.client) return;
    this.off?.();
    this.client = client;
    this.snapshot = client.latest;
    this.off = client.onProgress((s) => {
      this.snapshot = s;
      this.host.requestUpdate();
    });
  }

  recording(id: string | null): RecordingProgress | null {
    if (!id) return null;
    return this.snapshot?.recordings.find((r) => r.recordingId === id) ?? null;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.off?.();
    this.off = null;
    this.client = null;
  }
}
