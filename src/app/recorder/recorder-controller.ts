/**
 * The recorder's behaviour for <recorder-view>: acquire the source, run a RecordingSession,
 * keep the elapsed time, and explain anything that ended a recording early. The view renders
 * this controller's fields and calls its methods.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { consoleLogger } from '../../shared/log.ts';
import type { AppServices } from '../services.ts';
import { formatClock } from '../format.ts';
import { requestPersistence } from '../storage.ts';
import { acquireMedia, MediaAccessError, type AcquiredMedia, type Source } from './media-sources.ts';
import { pickMimeType } from './mime.ts';
import { RecordingSession, type SessionResult } from './recording-session.ts';
import { holdRecordingLock } from './recording-lock.ts';

export type RecorderPhase = 'idle' | 'starting' | 'recording' | 'paused' | 'stopping';

export interface Notice {
  tone: 'danger' | 'warn' | 'ok';
  text: string;
}

const logger = consoleLogger('outbox:app:recorder');

const MEDIA_MESSAGES: Record<MediaAccessError['code'], string> = {
  permission_denied: 'Access to the camera or screen was blocked. Allow it in the browser’s site settings and try again.',
  no_device: 'No camera was found. Connect one, or record your screen instead.',
  unsupported: 'This browser cannot capture that source.',
  failed: 'The camera or screen could not be opened.',
};

const TITLES: Record<Source, string> = {
  camera: 'Camera recording',
  screen: 'Screen recording',
  'screen+camera': 'Screen and camera recording',
};

export class RecorderController implements ReactiveController {
  phase: RecorderPhase = 'idle';
  source: Source = 'camera';
  microphone = true;
  /** What the preview shows while recording. */
  preview: MediaStream | null = null;
  /** Camera shown over a screen preview (not recorded). */
  overlay: MediaStream | null = null;
  /** The recording in progress, or the last one (its upload status stays on screen). */
  recordingId: string | null = null;
  mimeType: string | null = null;
  notice: Notice | null = null;
  services: AppServices | null = null;

  private session: RecordingSession | null = null;
  private media: AcquiredMedia | null = null;
  private startedAt = 0;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private frozenElapsed = 0;
  /** Timeslice of the running recording: what a saved chunk is worth in time. */
  private chunkMs = 2000;
  private timer: ReturnType<typeof setInterval> | null = null;
  private persistenceAsked = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // The shell keeps the recorder mounted; if it is removed anyway, save what was recorded.
    if (this.session) void this.stop();
  }

  get elapsedMs(): number {
    if (this.phase === 'idle' || this.phase === 'starting') return this.frozenElapsed;
    const now = performance.now();
    const paused = this.pausedTotal + (this.pausedAt !== null ? now - this.pausedAt : 0);
    return Math.max(0, now - this.startedAt - paused);
  }

  get active(): boolean {
    return this.phase === 'recording' || this.phase === 'paused' || this.phase === 'stopping';
  }

  async start(): Promise<void> {
    const services = this.services;
    if (!services || this.phase !== 'idle') return;
    this.phase = 'starting';
    this.notice = null;
    this.host.requestUpdate();
    try {
      if (!this.persistenceAsked) {
        // Before the first recording: unpersisted storage may be evicted under pressure. Never
        // awaited: Firefox answers persist() with a permission prompt whose promise stays pending
        // until the user responds, and the user's Start must not wait on a prompt they may ignore.
        this.persistenceAsked = true;
        void requestPersistence().then((persisted) => logger.info({ persisted }, 'storage.persist'));
      }
      const mimeType = typeof MediaRecorder === 'undefined' ? null : pickMimeType((t) => MediaRecorder.isTypeSupported(t));
      if (!mimeType) throw new MediaAccessError('unsupported');
      const settings = await services.outbox.getSettings();
      this.media = await acquireMedia(this.source, this.microphone);
      const id = crypto.randomUUID();
      let release!: () => void;
      const ended = new Promise<void>((r) => (release = r));
      await holdRecordingLock(id, ended);
      try {
        this.chunkMs = settings.chunkMs;
        this.session = await RecordingSession.begin(
          {
            outbox: services.outbox,
            upload: services.upload,
            createRecorder: (stream, type) => new MediaRecorder(stream, { mimeType: type }),
            newId: () => id,
            logger,
          },
          {
            stream: this.media.record,
            mimeType,
            chunkMs: settings.chunkMs,
            title: TITLES[this.source],
            onEnded: (r) => {
              release();
              this.ended(r);
            },
          },
        );
      } catch (e) {
        release();
        throw e;
      }
      this.recordingId = id;
      this.mimeType = mimeType;
      this.preview = this.media.record;
      this.overlay = this.media.overlay;
      // The browser's own "Stop sharing" ends the screen track; the mic may still be live, so
      // the recorder would not stop by itself.
      for (const track of this.media.record.getVideoTracks()) {
        track.addEventListener('ended', () => void this.session?.stop('source-ended'), { once: true });
      }
      if (this.media.micUnavailable) this.notice = { tone: 'warn', text: 'The microphone could not be opened; recording without sound.' };
      this.startedAt = performance.now();
      this.pausedAt = null;
      this.pausedTotal = 0;
      this.phase = 'recording';
      this.timer = setInterval(() => this.host.requestUpdate(), 250);
    } catch (e) {
      this.media?.release();
      this.media = null;
      this.session = null;
      this.phase = 'idle';
      const code = (e as { code?: unknown }).code;
      this.notice =
        e instanceof MediaAccessError
          ? { tone: 'danger', text: MEDIA_MESSAGES[e.code] }
          : code === 'quota_exceeded'
            ? { tone: 'danger', text: 'This device is out of storage space for recordings. Free some space and try again.' }
            : { tone: 'danger', text: 'The recording could not be started.' };
      logger.error({ code: typeof code === 'string' ? code : String(e) }, 'recorder.start_failed');
    }
    this.host.requestUpdate();
  }

  pause(): void {
    if (this.phase !== 'recording' || !this.session) return;
    this.session.pause();
    this.pausedAt = performance.now();
    this.phase = 'paused';
    this.host.requestUpdate();
  }

  resume(): void {
    if (this.phase !== 'paused' || !this.session) return;
    this.session.resume();
    if (this.pausedAt !== null) this.pausedTotal += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.phase = 'recording';
    this.host.requestUpdate();
  }

  async stop(): Promise<void> {
    if (!this.session || this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.host.requestUpdate();
    await this.session.stop('user');
  }

  /** Whatever ended the recording (user, source, quota), the session has closed it in the outbox. */
  private ended(r: SessionResult): void {
    this.frozenElapsed = this.elapsedMs;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.media?.release();
    this.media = null;
    this.session = null;
    this.preview = null;
    this.overlay = null;
    this.phase = 'idle';
    const saved = `${r.totalChunks} ${r.totalChunks === 1 ? 'chunk' : 'chunks'} (${formatClock(this.frozenElapsed)})`;
    if (r.reason === 'quota') {
      // The elapsed clock overstates what is safe here: the chunk that hit the quota was not saved.
      const savedTime = formatClock(r.totalChunks * this.chunkMs);
      this.notice = {
        tone: 'danger',
        text: `Recording stopped: this device ran out of storage space. ${r.totalChunks} ${r.totalChunks === 1 ? 'chunk' : 'chunks'} (about ${savedTime}) were saved before that and will upload; the last moments could not be saved.`,
      };
    } else if (r.reason === 'storage-error' || r.reason === 'recorder-error') {
      this.notice = { tone: 'danger', text: `Recording stopped because of an error. The ${saved} recorded before it are saved and will upload.` };
    } else if (r.reason === 'source-ended') {
      this.notice = { tone: 'ok', text: `Sharing ended, so the recording stopped. ${saved} saved.` };
    }
    this.host.requestUpdate();
  }
}
