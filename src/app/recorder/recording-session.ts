/**
 * One recording from start to stopped: owns the MediaRecorder, numbers its chunks and writes each
 * to the outbox before anything else happens with it, then tells the uploader. Upload problems
 * never reach here — the uploader reads the outbox on its own time — so they cannot stop or
 * slow recording. Only a failed *local* write ends a recording early (quota), and then cleanly:
 * every chunk already saved is kept and the recording is closed with that total.
 *
 * I/O is injected (outbox, upload notifications, MediaRecorder factory) so the sequencing is
 * tested with a fake recorder in Node.
 */
import type { Logger } from '../../shared/log.ts';
import type { AppOutbox } from '../services.ts';
import type { UploadClient } from '../upload/types.ts';
import { ChunkSequencer } from './chunk-sequencer.ts';

/** The part of MediaRecorder this module uses. */
export interface MediaRecorderLike extends EventTarget {
  readonly state: 'inactive' | 'recording' | 'paused';
  start(timeslice?: number): void;
  stop(): void;
  pause(): void;
  resume(): void;
}

export type EndReason = 'user' | 'source-ended' | 'quota' | 'storage-error' | 'recorder-error';

export interface SessionResult {
  recordingId: string;
  totalChunks: number;
  reason: EndReason;
  /** The outbox write error that ended the recording, if any. */
  error: unknown;
}

export interface SessionDeps {
  outbox: Pick<AppOutbox, 'createRecording' | 'addChunk' | 'stopRecording'>;
  upload: Pick<UploadClient, 'notifyChunkAdded' | 'notifyStopped'>;
  createRecorder(stream: MediaStream, mimeType: string): MediaRecorderLike;
  newId(): string;
  logger: Logger;
}

export interface SessionOptions {
  stream: MediaStream;
  mimeType: string;
  chunkMs: number;
  title?: string | null;
  /** Called once when the recording has ended and been closed in the outbox (for any reason). */
  onEnded?(result: SessionResult): void;
}

function errorCodeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export class RecordingSession {
  readonly recordingId: string;
  private readonly recorder: MediaRecorderLike;
  private readonly sequencer: ChunkSequencer;
  private readonly recorderStopped: Promise<void>;
  private ending: Promise<SessionResult> | null = null;

  private constructor(
    private readonly deps: SessionDeps,
    private readonly opts: SessionOptions,
    recordingId: string,
  ) {
    this.recordingId = recordingId;
    this.recorder = deps.createRecorder(opts.stream, opts.mimeType);
    this.sequencer = new ChunkSequencer({
      write: async (index, data) => {
        await deps.outbox.addChunk(recordingId, index, data);
      },
      written: (index) => deps.upload.notifyChunkAdded(recordingId, index),
      failed: (error, index) => {
        const code = errorCodeOf(error);
        deps.logger.error({ recordingId, index, code }, 'recorder.chunk_write_failed');
        void this.stop(code === 'quota_exceeded' ? 'quota' : 'storage-error', error);
      },
    });
    this.recorder.addEventListener('dataavailable', (e) => {
      const data = (e as Event & { data?: Blob }).data ?? new Blob([]);
      const index = this.sequencer.push(data);
      deps.logger.debug({ recordingId, index, size: data.size }, 'recorder.chunk');
    });
    this.recorderStopped = new Promise((resolve) => this.recorder.addEventListener('stop', () => resolve(), { once: true }));
    // The recorder stops by itself when every track ended (e.g. the browser's "Stop sharing").
    void this.recorderStopped.then(() => void this.stop('source-ended'));
    this.recorder.addEventListener('error', (e) => {
      deps.logger.error({ recordingId, message: String((e as Event & { error?: unknown }).error) }, 'recorder.error');
      void this.stop('recorder-error');
    });
  }

  /** Creates the recording in the outbox, then starts capturing with `chunkMs` timeslices. */
  static async begin(deps: SessionDeps, opts: SessionOptions): Promise<RecordingSession> {
    const id = deps.newId();
    await deps.outbox.createRecording({ id, mimeType: opts.mimeType, title: opts.title ?? null });
    const session = new RecordingSession(deps, opts, id);
    session.recorder.start(opts.chunkMs);
    deps.logger.info({ recordingId: id, mimeType: opts.mimeType, chunkMs: opts.chunkMs }, 'recorder.started');
    return session;
  }

  get state(): MediaRecorderLike['state'] {
    return this.recorder.state;
  }

  /** Chunks written so far (gap-free). */
  get chunksSaved(): number {
    return this.sequencer.total;
  }

  pause(): void {
    if (this.recorder.state === 'recording') this.recorder.pause();
  }

  resume(): void {
    if (this.recorder.state === 'paused') this.recorder.resume();
  }

  /**
   * Stops capturing, waits for the final chunk's write, then closes the recording in the outbox
   * with its total and tells the uploader, which finalizes it. Idempotent: later calls get the
   * first call's result.
   */
  stop(reason: EndReason = 'user', error: unknown = null): Promise<SessionResult> {
    this.ending ??= this.finish(reason, error);
    return this.ending;
  }

  private async finish(reason: EndReason, error: unknown): Promise<SessionResult> {
    // stop() fires a last dataavailable, then stop; the sequencer queues that chunk's write.
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    await this.recorderStopped;
    const totalChunks = await this.sequencer.flush();
    const state = reason === 'user' || reason === 'source-ended' ? 'stopped' : 'interrupted';
    let closeError: unknown = null;
    try {
      await this.deps.outbox.stopRecording(this.recordingId, totalChunks, state);
      this.deps.upload.notifyStopped(this.recordingId, totalChunks);
    } catch (e) {
      // The chunks are saved; the recording stays 'recording' in the outbox and is closed on the next start-up.
      closeError = e;
      this.deps.logger.error({ recordingId: this.recordingId, code: errorCodeOf(e) }, 'recorder.close_failed');
    }
    for (const track of this.opts.stream.getTracks()) track.stop();
    const result: SessionResult = { recordingId: this.recordingId, totalChunks, reason, error: error ?? this.sequencer.failure ?? closeError };
    this.deps.logger.info({ recordingId: this.recordingId, totalChunks, reason }, 'recorder.stopped');
    this.opts.onEnded?.(result);
    return result;
  }
}
