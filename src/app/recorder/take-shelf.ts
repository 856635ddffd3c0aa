/**
 * The take shown in the review panel, and the TakeSync of the take being recorded (created at
 * Start, so the poster grabbed a second in has somewhere to go, and shown with the take at Stop).
 * Owns their lifetimes: a take leaving the screen revokes its object URL and retires its sync,
 * which stops listening to the progress feed once nothing is left to send.
 */
import type { AppServices } from '../services.ts';
import { TakeSync } from './take-sync.ts';

/** A finished take, shown in the review panel. */
export interface Take {
  recordingId: string;
  title: string;
  /** Object URL of the take's bytes read back from the outbox (plays without the server), or null. */
  localUrl: string | null;
  elapsedMs: number;
  sync: TakeSync;
}

export class TakeShelf {
  take: Take | null = null;
  private recording: TakeSync | null = null;

  /** A recording started: the review panel closes, and `sync` waits for its take. */
  recordingStarted(sync: TakeSync): void {
    this.clear();
    this.recording?.retire();
    this.recording = sync;
  }

  /** The recording ended: its sync (null if another recording's is waiting instead). */
  takeRecordingSync(recordingId: string): TakeSync | null {
    const sync = this.recording?.recordingId === recordingId ? this.recording : null;
    if (sync) this.recording = null;
    return sync;
  }

  show(take: Take): void {
    this.clear();
    this.take = take;
    take.sync.stopped();
  }

  /** Shows a take read back from the outbox (e.g. one a reload interrupted); false if unknown. */
  async showStored(services: AppServices, recordingId: string, elapsedMs: number, onChange: () => void): Promise<boolean> {
    const rec = await services.outbox.getRecording(recordingId);
    if (!rec) return false;
    const blob = await services.outbox.recordingBlob(recordingId);
    this.show({
      recordingId,
      title: rec.title ?? 'Untitled recording',
      localUrl: blob ? URL.createObjectURL(blob) : null,
      elapsedMs,
      sync: new TakeSync(recordingId, { api: services.api, upload: services.upload, onChange }),
    });
    return true;
  }

  clear(): void {
    if (this.take?.localUrl) URL.revokeObjectURL(this.take.localUrl);
    this.take?.sync.retire();
    this.take = null;
  }

  /** The controller goes away: nothing shown, nothing waiting. */
  dispose(): void {
    this.clear();
    this.recording?.retire();
    this.recording = null;
  }
}
