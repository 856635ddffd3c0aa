/**
 * The recorder's behaviour for <recorder-view>: the live preview and mic level before Start, the
 * cancellable 3-2-1, assembling what is recorded (camera, screen, or both composited with the
 * camera bubble), running a RecordingSession, the elapsed time, the poster frame, and the take to
 * review after Stop. The view renders this controller's fields and calls its methods; `onChange`
 * tells the shell (tab title, header Stop) about every change.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { consoleLogger } from '../../shared/log.ts';
import type { AppServices } from '../services.ts';
import { requestPersistence } from '../storage.ts';
import { cornerPlacement, type BubblePlacement } from './bubble.ts';
import { startComposite, type Composite } from './compositor.ts';
import { runCountdown } from './countdown.ts';
import { defaultTitle } from './default-title.ts';
import { MediaAccessError, openPreview, openScreen, type PreviewMedia, type Source } from './media-sources.ts';
import { endedNotice, mediaMessage, startFailureNotice, type Notice } from './recorder-notices.ts';
import { MicLevel } from './mic-level.ts';
import { pickMimeType } from './mime.ts';
import { grabPoster } from './poster.ts';
import { RecordingSession, type SessionResult } from './recording-session.ts';
import { holdRecordingLock } from './recording-lock.ts';
import { TakeSync } from './take-sync.ts';

export type RecorderPhase = 'idle' | 'starting' | 'countdown' | 'recording' | 'paused' | 'stopping';

export type { Notice } from './recorder-notices.ts';

/** A finished take, shown in the review panel. */
export interface Take {
  recordingId: string;
  title: string;
  /** Object URL of the take's bytes read back from the outbox (plays without the server), or null. */
  localUrl: string | null;
  elapsedMs: number;
  sync: TakeSync;
}

const logger = consoleLogger('outbox:app:recorder');
export const COUNTDOWN_SECONDS = 3;
const POSTER_AFTER_MS = 1000;


export class RecorderController implements ReactiveController {
  phase: RecorderPhase = 'idle';
  source: Source = 'camera';
  microphone = true;
  /** Seconds left in the countdown (3, 2, 1) while phase is 'countdown'. */
  countdownLeft = 0;
  /** Camera preview (camera modes), live before and during recording. */
  cameraStream: MediaStream | null = null;
  /** What is being recorded (the composite in screen + camera). */
  recorded: MediaStream | null = null;
  /** The shared screen while recording (the preview shows it with the bubble laid over it as DOM). */
  screen: MediaStream | null = null;
  placement: BubblePlacement = cornerPlacement(16, 9, 'bottom-right');
  readonly mic: MicLevel;
  micUnavailable = false;
  previewError: string | null = null;
  /** The recording in progress, or the last one (its upload status stays on screen). */
  recordingId: string | null = null;
  take: Take | null = null;
  notice: Notice | null = null;
  services: AppServices | null = null;
  /** Called after every change of phase or time (the shell's title and header read it). */
  onChange: () => void = () => {};

  private preview: PreviewMedia | null = null;
  private previewWanted = false;
  private previewGen = 0;
  private composite: Composite | null = null;
  private session: RecordingSession | null = null;
  private countdownAbort: AbortController | null = null;
  private startedAt = 0;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private frozenElapsed = 0;
  private chunkMs = 2000;
  private timer: ReturnType<typeof setInterval> | null = null;
  private posterTimer: ReturnType<typeof setTimeout> | null = null;
  private persistenceAsked = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
    this.mic = new MicLevel(() => this.host.requestUpdate());
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // The shell keeps the recorder mounted; if it is removed anyway, save what was recorded.
    if (this.session) void this.stop();
    this.closePreview();
  }

  get elapsedMs(): number {
    if (!this.active) return this.frozenElapsed;
    const now = performance.now();
    const paused = this.pausedTotal + (this.pausedAt !== null ? now - this.pausedAt : 0);
    return Math.max(0, now - this.startedAt - paused);
  }

  /** Recording, paused or finishing: a take exists and must not be lost. */
  get active(): boolean {
    return this.phase === 'recording' || this.phase === 'paused' || this.phase === 'stopping';
  }

  /** The view tells whether a live preview is wanted (Record view shown, nothing recording). */
  async wantPreview(on: boolean): Promise<void> {
    this.previewWanted = on;
    if (!on) {
      if (this.phase === 'idle') this.closePreview();
      return;
    }
    if (this.phase === 'idle' && !this.preview) await this.openPreview();
  }

  setSource(s: Source): void {
    if (this.phase !== 'idle' || s === this.source) return;
    this.source = s;
    void this.reopenPreview();
  }

  setMicrophone(on: boolean): void {
    if (this.phase !== 'idle' || on === this.microphone) return;
    this.microphone = on;
    void this.reopenPreview();
  }

  setPlacement(p: BubblePlacement): void {
    this.placement = p;
    this.composite?.setPlacement(p);
    this.changed();
  }

  private async reopenPreview(): Promise<void> {
    this.closePreview();
    this.changed();
    if (this.previewWanted) await this.openPreview();
  }

  private async openPreview(): Promise<void> {
    const gen = ++this.previewGen;
    this.previewError = null;
    try {
      const media = await openPreview(this.source, this.microphone);
      if (gen !== this.previewGen || !this.previewWanted) return media.release();
      this.preview = media;
      this.cameraStream = media.camera ? new MediaStream([media.camera]) : null;
      this.micUnavailable = media.micUnavailable;
      this.mic.attach(media.mic);
    } catch (e) {
      if (gen !== this.previewGen) return;
      this.previewError = mediaMessage(e);
    }
    this.changed();
  }

  private closePreview(): void {
    this.previewGen++;
    this.mic.detach();
    this.preview?.release();
    this.preview = null;
    this.cameraStream = null;
  }

  /** Start: pick the screen if needed, count down 3-2-1 (cancellable), then record. */
  async start(opts: { countdown?: boolean } = {}): Promise<void> {
    const services = this.services;
    if (!services || this.phase !== 'idle') return;
    this.phase = 'starting';
    this.notice = null;
    this.changed();
    try {
      if (!this.persistenceAsked) {
        // Never awaited: Firefox answers persist() with a permission prompt whose promise stays
        // pending until the user responds, and Start must not wait on a prompt they may ignore.
        this.persistenceAsked = true;
        void requestPersistence().then((persisted) => logger.info({ persisted }, 'storage.persist'));
      }
      const mimeType = typeof MediaRecorder === 'undefined' ? null : pickMimeType((t) => MediaRecorder.isTypeSupported(t));
      if (!mimeType) throw new MediaAccessError('unsupported');
      // The screen picker first: it needs the click's user activation, which the countdown would outlast.
      if (this.source !== 'camera') this.screen = await openScreen();
      if (!this.preview) await this.openPreview();
      if (!this.preview) throw new MediaAccessError('failed');
      if (opts.countdown ?? true) {
        this.countdownAbort = new AbortController();
        this.phase = 'countdown';
        await runCountdown(COUNTDOWN_SECONDS, (left) => { this.countdownLeft = left; this.changed(); }, this.countdownAbort.signal);
        this.countdownAbort = null;
      }
      await this.begin(services, mimeType);
    } catch (e) {
      this.abortStart(e);
    }
    this.changed();
  }

  /** Cancels the countdown: nothing was recorded, the preview stays. */
  cancelCountdown(): void {
    this.countdownAbort?.abort();
  }

  private async begin(services: AppServices, mimeType: string): Promise<void> {
    const preview = this.preview!;
    const settings = await services.outbox.getSettings();
    const tracks: MediaStreamTrack[] = [];
    if (this.source === 'camera') {
      if (!preview.camera) throw new MediaAccessError('no_device');
      tracks.push(preview.camera.clone());
    } else {
      const screenTrack = this.screen!.getVideoTracks()[0]!;
      if (this.source === 'screen+camera' && preview.camera) {
        this.composite = startComposite(screenTrack, preview.camera.clone(), this.placement);
        tracks.push(...this.composite.stream.getVideoTracks());
        logger.info({ mode: this.composite.mode }, 'recorder.composite');
      } else tracks.push(screenTrack);
      // The browser's own "Stop sharing" ends the screen track; the mic may still be live, so
      // the recorder would not stop by itself.
      screenTrack.addEventListener('ended', () => void this.session?.stop('source-ended'), { once: true });
    }
    if (preview.mic) tracks.push(preview.mic.clone());
    const stream = new MediaStream(tracks);
    const id = crypto.randomUUID();
    const title = defaultTitle(this.source, new Date());
    let release!: () => void;
    const ended = new Promise<void>((r) => (release = r));
    await holdRecordingLock(id, ended);
    try {
      this.chunkMs = settings.chunkMs;
      this.session = await RecordingSession.begin(
        {
          outbox: services.outbox,
          upload: services.upload,
          createRecorder: (s, type) => new MediaRecorder(s, { mimeType: type }),
          newId: () => id,
          logger,
        },
        { stream, mimeType, chunkMs: settings.chunkMs, title, onEnded: (r) => { release(); void this.ended(r, title); } },
      );
    } catch (e) {
      release();
      stream.getTracks().forEach((t) => t.stop());
      throw e;
    }
    this.recordingId = id;
    this.recorded = stream;
    if (this.take?.localUrl) URL.revokeObjectURL(this.take.localUrl);
    this.take = null;
    const sync = new TakeSync(id, { api: services.api, upload: services.upload, onChange: () => this.changed() });
    this.pendingSync = sync;
    if (this.micUnavailable) this.notice = { tone: 'warn', text: 'The microphone could not be opened; recording without sound.' };
    this.startedAt = performance.now();
    this.pausedAt = null;
    this.pausedTotal = 0;
    this.phase = 'recording';
    this.timer = setInterval(() => this.changed(), 250);
    const video = stream.getVideoTracks()[0]!;
    this.posterTimer = setTimeout(() => {
      grabPoster(video)
        .then((blob) => blob && sync.setPoster(blob))
        .catch((e: unknown) => logger.warn({ message: String(e) }, 'recorder.poster_failed'));
    }, POSTER_AFTER_MS);
  }

  private pendingSync: TakeSync | null = null;

  private abortStart(e: unknown): void {
    this.countdownAbort = null;
    this.composite?.stop();
    this.composite = null;
    this.screen?.getTracks().forEach((t) => t.stop());
    this.screen = null;
    this.session = null;
    this.phase = 'idle';
    this.countdownLeft = 0;
    if ((e as { name?: unknown }).name === 'AbortError') {
      this.notice = { tone: 'ok', text: 'Countdown cancelled. Nothing was recorded.' };
      logger.info({}, 'recorder.countdown_cancelled');
      return;
    }
    const code = (e as { code?: unknown }).code;
    this.notice = startFailureNotice(e);
    logger.error({ code: typeof code === 'string' ? code : String(e) }, 'recorder.start_failed');
  }

  pause(): void {
    if (this.phase !== 'recording' || !this.session) return;
    this.session.pause();
    this.pausedAt = performance.now();
    this.phase = 'paused';
    this.changed();
  }

  resume(): void {
    if (this.phase !== 'paused' || !this.session) return;
    this.session.resume();
    if (this.pausedAt !== null) this.pausedTotal += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.phase = 'recording';
    this.changed();
  }

  async stop(): Promise<void> {
    if (this.phase === 'countdown') return this.cancelCountdown();
    if (!this.session || this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.changed();
    await this.session.stop('user');
  }

  /** Opens the review panel for a recording already in the outbox (e.g. one a reload interrupted). */
  async review(recordingId: string, elapsedMs = 0): Promise<void> {
    const services = this.services;
    if (!services || this.active) return;
    const rec = await services.outbox.getRecording(recordingId);
    if (!rec) return;
    const blob = await services.outbox.recordingBlob(recordingId);
    this.showTake({
      recordingId,
      title: rec.title ?? 'Untitled recording',
      localUrl: blob ? URL.createObjectURL(blob) : null,
      elapsedMs,
      sync: new TakeSync(recordingId, { api: services.api, upload: services.upload, onChange: () => this.changed() }),
    });
  }

  closeReview(): void {
    if (this.take?.localUrl) URL.revokeObjectURL(this.take.localUrl);
    this.take = null;
    this.changed();
  }

  private showTake(take: Take): void {
    if (this.take?.localUrl) URL.revokeObjectURL(this.take.localUrl);
    this.take = take;
    take.sync.stopped();
    this.changed();
  }

  /** Whatever ended the recording (user, source, quota), the session has closed it in the outbox. */
  private async ended(r: SessionResult, title: string): Promise<void> {
    this.frozenElapsed = this.elapsedMs;
    if (this.timer) clearInterval(this.timer);
    if (this.posterTimer) clearTimeout(this.posterTimer);
    this.timer = this.posterTimer = null;
    this.composite?.stop();
    this.composite = null;
    this.screen?.getTracks().forEach((t) => t.stop());
    this.screen = null;
    this.session = null;
    this.recorded = null;
    this.phase = 'idle';
    this.notice = endedNotice(r, this.frozenElapsed, this.chunkMs) ?? this.notice;
    this.changed();
    // Read the take back from the device at once: the review plays it without waiting for the server.
    const blob = r.totalChunks > 0 ? await this.services?.outbox.recordingBlob(r.recordingId).catch(() => null) : null;
    const sync = this.pendingSync?.recordingId === r.recordingId ? this.pendingSync : null;
    this.pendingSync = null;
    if (sync) this.showTake({ recordingId: r.recordingId, title, localUrl: blob ? URL.createObjectURL(blob) : null, elapsedMs: this.frozenElapsed, sync });
    if (!this.previewWanted) this.closePreview();
    else if (!this.preview) await this.openPreview();
  }

  private changed(): void {
    this.host.requestUpdate();
    this.onChange();
  }
}
