/**
 * The recorder's behaviour for <recorder-view>: the cancellable 3-2-1, assembling what is
 * recorded (camera, screen, or both composited with the camera bubble), running a
 * RecordingSession, and the poster frame. It drives the parts that own the rest: the live preview
 * (live-preview.ts), the elapsed time (elapsed-clock.ts) and the take to review after Stop
 * (take-shelf.ts). The view renders this controller's fields and calls its methods; `onChange`
 * tells the shell (tab title, header Stop) about every change.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { consoleLogger } from '../../shared/log.ts';
import type { AppServices } from '../services.ts';
import { requestPersistence } from '../storage.ts';
import { cornerPlacement, type BubblePlacement } from './bubble.ts';
import type { Composite } from './compositor.ts';
import { runCountdown } from './countdown.ts';
import { ElapsedClock } from './elapsed-clock.ts';
import { LivePreview } from './live-preview.ts';
import { MediaAccessError, openScreen, type Source } from './media-sources.ts';
import { endedNotice, startFailureNotice, type Notice } from './recorder-notices.ts';
import { MicLevel } from './mic-level.ts';
import { pickMimeType } from './mime.ts';
import { grabPoster } from './poster.ts';
import type { RecordingSession, SessionResult } from './recording-session.ts';
import { startTake } from './take-start.ts';
import { TakeShelf, type Take } from './take-shelf.ts';
import { TakeSync } from './take-sync.ts';

export type RecorderPhase = 'idle' | 'starting' | 'countdown' | 'recording' | 'paused' | 'stopping';

export type { Notice } from './recorder-notices.ts';
export type { Take } from './take-shelf.ts';

const logger = consoleLogger('outbox:app:recorder');
export const COUNTDOWN_SECONDS = 3;
const POSTER_AFTER_MS = 1000;

export class RecorderController implements ReactiveController {
  phase: RecorderPhase = 'idle';
  source: Source = 'camera';
  microphone = true;
  /** Seconds left in the countdown (3, 2, 1) while phase is 'countdown'. */
  countdownLeft = 0;
  /** What is being recorded (the composite in screen + camera). */
  recorded: MediaStream | null = null;
  /** The shared screen while recording (the preview shows it with the bubble laid over it as DOM). */
  screen: MediaStream | null = null;
  placement: BubblePlacement = cornerPlacement(16, 9, 'bottom-right');
  readonly mic: MicLevel;
  /** The recording in progress, or the last one (its upload status stays on screen). */
  recordingId: string | null = null;
  notice: Notice | null = null;
  services: AppServices | null = null;
  /** Called after every change of phase or time (the shell's title and header read it). */
  onChange: () => void = () => {};

  private readonly preview: LivePreview;
  private readonly clock = new ElapsedClock();
  private readonly shelf = new TakeShelf();
  private composite: Composite | null = null;
  private session: RecordingSession | null = null;
  private countdownAbort: AbortController | null = null;
  private chunkMs = 2000;
  private timer: ReturnType<typeof setInterval> | null = null;
  private posterTimer: ReturnType<typeof setTimeout> | null = null;
  private persistenceAsked = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
    this.mic = new MicLevel(() => this.host.requestUpdate());
    this.preview = new LivePreview(this.mic, () => this.changed());
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // The shell keeps the recorder mounted; if it is removed anyway, save what was recorded.
    if (this.session) void this.stop();
    else this.shelf.dispose();
    this.preview.close();
  }

  /** Camera preview (camera modes), live before and during recording. */
  get cameraStream(): MediaStream | null {
    return this.preview.cameraStream;
  }

  get micUnavailable(): boolean {
    return this.preview.micUnavailable;
  }

  get previewError(): string | null {
    return this.preview.error;
  }

  /** The take shown in the review panel. */
  get take(): Take | null {
    return this.shelf.take;
  }

  get elapsedMs(): number {
    return this.clock.ms;
  }

  /** Recording, paused or finishing: a take exists and must not be lost. */
  get active(): boolean {
    return this.phase === 'recording' || this.phase === 'paused' || this.phase === 'stopping';
  }

  /** The view tells whether a live preview is wanted (Record view shown, nothing recording). */
  async wantPreview(on: boolean): Promise<void> {
    this.preview.wanted = on;
    if (!on) {
      if (this.phase === 'idle') this.preview.close();
      return;
    }
    if (this.phase === 'idle' && !this.preview.media) await this.preview.open(this.source, this.microphone);
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
    this.preview.close();
    this.changed();
    if (this.preview.wanted) await this.preview.open(this.source, this.microphone);
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
      if (!this.preview.media) await this.preview.open(this.source, this.microphone);
      if (!this.preview.media) throw new MediaAccessError('failed');
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
    const { id, session, stream, composite, chunkMs } = await startTake({
      services,
      mimeType,
      source: this.source,
      preview: this.preview.media!,
      screen: this.screen,
      placement: this.placement,
      logger,
      onSourceEnded: () => void this.session?.stop('source-ended'),
      onEnded: (r, title) => void this.ended(r, title),
    });
    this.session = session;
    this.composite = composite;
    this.chunkMs = chunkMs;
    this.recordingId = id;
    this.recorded = stream;
    const sync = new TakeSync(id, { api: services.api, upload: services.upload, onChange: () => this.changed() });
    this.shelf.recordingStarted(sync);
    if (this.micUnavailable) this.notice = { tone: 'warn', text: 'The microphone could not be opened; recording without sound.' };
    this.clock.start();
    this.phase = 'recording';
    this.timer = setInterval(() => this.changed(), 250);
    const video = stream.getVideoTracks()[0]!;
    this.posterTimer = setTimeout(() => {
      grabPoster(video)
        .then((blob) => blob && sync.setPoster(blob))
        .catch((e: unknown) => logger.warn({ message: String(e) }, 'recorder.poster_failed'));
    }, POSTER_AFTER_MS);
  }

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
    this.clock.pause();
    this.phase = 'paused';
    this.changed();
  }

  resume(): void {
    if (this.phase !== 'paused' || !this.session) return;
    this.session.resume();
    this.clock.resume();
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
    if (await this.shelf.showStored(services, recordingId, elapsedMs, () => this.changed())) this.changed();
  }

  closeReview(): void {
    this.shelf.clear();
    this.changed();
  }

  /** Whatever ended the recording (user, source, quota), the session has closed it in the outbox. */
  private async ended(r: SessionResult, title: string): Promise<void> {
    const elapsedMs = this.clock.freeze();
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
    this.notice = endedNotice(r, elapsedMs, this.chunkMs) ?? this.notice;
    this.changed();
    // Read the take back from the device at once: the review plays it without waiting for the server.
    const blob = r.totalChunks > 0 ? await this.services?.outbox.recordingBlob(r.recordingId).catch(() => null) : null;
    const sync = this.shelf.takeRecordingSync(r.recordingId);
    if (sync) {
      this.shelf.show({ recordingId: r.recordingId, title, localUrl: blob ? URL.createObjectURL(blob) : null, elapsedMs, sync });
      this.changed();
    }
    if (!this.preview.wanted) this.preview.close();
    else if (!this.preview.media) await this.preview.open(this.source, this.microphone);
  }

  private changed(): void {
    this.host.requestUpdate();
    this.onChange();
  }
}
