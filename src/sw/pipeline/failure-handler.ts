/**
 * The one failure handler of the pipeline, for chunk uploads and for init/finalize alike: runs
 * the policy (policy.ts), applies the holds (offline, auth), starts the recovery of a lost
 * session, logs, and reports errors into UploadState. It answers what the caller must do with
 * its item; the caller alone writes that down (a chunk in the outbox, an operation in its
 * backoff table), so each piece of state keeps one owner.
 */
import type { LastError } from '../../shared/outbox/schema.ts';
import { USER_ACTION_FAILURES } from '../../shared/errors.ts';
import type { Settings } from '../../shared/settings.ts';
import type { PipelinePorts } from './ports.ts';
import { decideFailure, type FailureAction } from './policy.ts';
import { TransportError } from './transport-error.ts';
import type { UploadState } from './upload-state.ts';

export type Resolution =
  /** Put the item back untouched (aborted, offline, auth held, a lost session being recovered). */
  | { kind: 'hold' }
  /**
   * Try again at `nextAttemptAt`; `exhausted` items show as failed meanwhile. `notBefore`: the
   * server asked for this wait (Retry-After), which no wake-up shortens, only the user's Retry.
   */
  | { kind: 'retry'; nextAttemptAt: number; exhausted: boolean; error: LastError; notBefore: number | null }
  /** Waiting cannot help: failed, kept, until the user acts. `error.message` is for the user. */
  | { kind: 'fail'; error: LastError };

export interface FailedItem {
  op: 'chunk' | 'init' | 'finalize' | 'status';
  recordingId: string;
  /** The session the failed request used (for telling a new loss from one already recovered). */
  sessionId: string | null;
  index?: number;
  /** Attempts on this item including the one that just failed. */
  attempts: number;
  /** The local bytes no longer match their digest (checked by the caller when the server said so). */
  localCorrupt?: boolean;
}

/** True when recovery is under way (hold the item); false when the caller must fail it. */
export type SessionLossHandler = (recordingId: string, sessionIdUsed: string | null, code: string) => Promise<boolean>;

export class FailureHandler {
  constructor(
    private readonly ports: PipelinePorts,
    private readonly state: UploadState,
    private readonly random: () => number,
    private readonly sessionLost: SessionLossHandler,
  ) {}

  async resolve(e: unknown, item: FailedItem, settings: Settings): Promise<Resolution> {
    const { clock, connectivity, logger, outbox } = this.ports;
    const code = e instanceof TransportError ? e.errorCode : 'client_error';
    const status = e instanceof TransportError && e.status !== null ? { status: e.status } : {};
    let action: FailureAction = item.localCorrupt
      ? { kind: 'fail', code: 'local_copy_corrupt', words: USER_ACTION_FAILURES.local_copy_corrupt }
      : decideFailure(e, { online: connectivity.isOnline(), attempts: item.attempts, settings, random: this.random });
    if (action.kind === 'session-lost') {
      if (await this.sessionLost(item.recordingId, item.sessionId, code)) return { kind: 'hold' };
      action = { kind: 'fail', code: 'session_lost', words: USER_ACTION_FAILURES.session_lost };
    }
    const where = { recordingId: item.recordingId, op: item.op, ...(item.index !== undefined ? { index: item.index } : {}) };
    switch (action.kind) {
      case 'hold':
        return { kind: 'hold' };
      case 'hold-offline':
        this.state.holdOffline();
        return { kind: 'hold' };
      case 'hold-auth':
        this.state.holdAuth(await outbox.getToken());
        return { kind: 'hold' };
      case 'retry': {
        const error = { code, message: e instanceof Error ? e.message : String(e), at: clock.now(), ...status };
        const fields = { ...where, attempt: item.attempts, maxAttempts: settings.maxAttempts, delayMs: action.delayMs, code, exhausted: action.exhausted };
        logger.warn(fields, item.op === 'chunk' ? 'chunk-retry' : 'op-retry');
        if (action.exhausted) this.state.setError(item.recordingId, error);
        const retryAfterMs = e instanceof TransportError ? e.retryAfterMs : null;
        const notBefore = retryAfterMs !== null && retryAfterMs > 0 ? clock.now() + retryAfterMs : null;
        return { kind: 'retry', nextAttemptAt: clock.now() + action.delayMs, exhausted: action.exhausted, error, notBefore };
      }
      case 'fail': {
        const error = { code: action.code, message: action.words, at: clock.now(), ...status };
        this.state.setError(item.recordingId, error);
        logger.error({ ...where, attempts: item.attempts, code: action.code, cause: code }, item.op === 'chunk' ? 'chunk-failed' : 'op-failed');
        return { kind: 'fail', error };
      }
    }
  }
}
