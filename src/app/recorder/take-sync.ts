/**
 * What happens to a take on the server after Stop, driven by the uploader's progress feed: once
 * the feed names the recording's server id (`videoId`), the poster is uploaded and a title the
 * user typed is saved (PATCH); once it has a share link, the link is copied to the clipboard.
 * Nothing here blocks recording or uploading: a failed poster or title is kept and retried, and
 * the review panel shows failures in words.
 */
import { ApiError } from '../../shared/errors.ts';
import type { RecordingProgress } from '../../shared/progress.ts';
import type { ApiClient } from '../api-client.ts';
import { OfflineError } from '../api-client.ts';
import type { UploadClient } from '../upload/types.ts';

export type SaveState =
  | { kind: 'idle' }
  /** Typed before the server knows the recording: sent as soon as it does. */
  | { kind: 'pending' }
  | { kind: 'saving' }
  | { kind: 'saved' }
  | { kind: 'error'; message: string };

const POSTER_ATTEMPTS = 5;

export function describeSaveError(e: unknown): string {
  if (e instanceof OfflineError) return 'The title could not be saved: the server cannot be reached. It is kept here; press Save again when you are back online.';
  if (e instanceof ApiError && e.code === 'validation_failed') return 'The server did not accept this title. Use at most 200 characters.';
  if (e instanceof ApiError && e.code === 'not_found') return 'The title could not be saved: the server does not offer renaming yet (or no longer has this recording).';
  if (e instanceof ApiError && e.code === 'unauthorized') return 'The title could not be saved: sign in again, then press Save.';
  return 'The title could not be saved because of a server error. Press Save to try again.';
}

export class TakeSync {
  videoId: string | null = null;
  shareUrl: string | null = null;
  title: SaveState = { kind: 'idle' };
  /** 'copied' once the link was written to the clipboard; 'failed' if the browser refused. */
  copy: 'waiting' | 'copied' | 'failed' = 'waiting';
  poster: 'none' | 'waiting' | 'sending' | 'sent' | 'failed' = 'none';

  private pendingTitle: string | null = null;
  private posterBlob: Blob | null = null;
  private posterAttempts = 0;
  private off: (() => void) | null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retired = false;

  constructor(
    readonly recordingId: string,
    private readonly deps: {
      api: Pick<ApiClient, 'renameVideo' | 'uploadPoster'>;
      upload: Pick<UploadClient, 'onProgress' | 'latest'>;
      copyText?: (text: string) => Promise<void>;
      onChange: () => void;
    },
    private copyWhenReady = false,
  ) {
    this.off = deps.upload.onProgress((s) => this.seen(s.recordings.find((r) => r.recordingId === recordingId)));
    this.seen(deps.upload.latest?.recordings.find((r) => r.recordingId === recordingId));
  }

  /** The take was stopped: copy its link (now, or when it arrives). */
  stopped(): void {
    this.copyWhenReady = true;
    void this.maybeCopy();
  }

  setPoster(blob: Blob): void {
    this.posterBlob = blob;
    this.poster = 'waiting';
    void this.maybeSendPoster();
  }

  /** Saves the title on the server now, or as soon as the server knows the recording. */
  async saveTitle(title: string): Promise<void> {
    this.pendingTitle = title;
    if (!this.videoId) {
      this.title = { kind: 'pending' };
      this.deps.onChange();
      return;
    }
    this.title = { kind: 'saving' };
    this.deps.onChange();
    try {
      await this.deps.api.renameVideo(this.videoId, title);
      if (this.pendingTitle === title) this.pendingTitle = null;
      this.title = { kind: 'saved' };
    } catch (e) {
      this.title = { kind: 'error', message: describeSaveError(e) };
    }
    this.deps.onChange();
    this.disposeIfIdle();
  }

  async copyLink(): Promise<void> {
    if (!this.shareUrl) return;
    try {
      await (this.deps.copyText ?? ((t) => navigator.clipboard.writeText(t)))(this.shareUrl);
      this.copy = 'copied';
    } catch {
      this.copy = 'failed';
    }
    this.deps.onChange();
  }

  dispose(): void {
    this.off?.();
    this.off = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /**
   * The take left the screen (closed, or replaced by another take): no more link copying, and
   * the progress subscription ends as soon as nothing is left to send — at once, or once a title
   * typed before the server knew the recording, or the poster, has gone (or given up).
   */
  retire(): void {
    this.retired = true;
    this.copyWhenReady = false;
    this.disposeIfIdle();
  }

  /** Whether it still listens to the progress feed (for tests and the controller). */
  get listening(): boolean {
    return this.off !== null;
  }

  private disposeIfIdle(): void {
    if (!this.retired) return;
    const titleBusy = this.title.kind === 'pending' || this.title.kind === 'saving';
    const posterBusy = this.poster === 'waiting' || this.poster === 'sending' || this.retryTimer !== null;
    if (!titleBusy && !posterBusy) this.dispose();
  }

  private seen(p: RecordingProgress | undefined): void {
    if (!p) return;
    let changed = false;
    if (p.videoId && p.videoId !== this.videoId) {
      this.videoId = p.videoId;
      changed = true;
      if (this.pendingTitle !== null && this.title.kind === 'pending') void this.saveTitle(this.pendingTitle);
      void this.maybeSendPoster();
    }
    if (p.shareUrl && p.shareUrl !== this.shareUrl) {
      this.shareUrl = p.shareUrl;
      changed = true;
      void this.maybeCopy();
    }
    if (changed) this.deps.onChange();
  }

  private async maybeCopy(): Promise<void> {
    if (this.copyWhenReady && this.shareUrl && this.copy === 'waiting') await this.copyLink();
  }

  private async maybeSendPoster(): Promise<void> {
    if (!this.posterBlob || !this.videoId || this.poster === 'sending' || this.poster === 'sent') return;
    this.poster = 'sending';
    this.posterAttempts++;
    try {
      await this.deps.api.uploadPoster(this.videoId, this.posterBlob);
      this.poster = 'sent';
      this.posterBlob = null;
    } catch {
      this.poster = 'failed';
      // A missing poster only costs a thumbnail: retry a few times, spaced out, then leave it.
      if (this.posterAttempts < POSTER_ATTEMPTS && this.off) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.poster = 'waiting';
          void this.maybeSendPoster();
        }, 2000 * 2 ** this.posterAttempts);
      }
    }
    this.deps.onChange();
    this.disposeIfIdle();
  }
}
