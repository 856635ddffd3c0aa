/**
 * What the upload status indicator says, derived from the pipeline's progress for one recording
 * plus what only the page knows (recorder paused, browser offline). Pure, so every wording and
 * priority is unit-tested.
 */
import type { RecordingProgress } from '../../shared/progress.ts';

export type StatusKind =
  | 'idle'
  | 'recording'
  | 'paused'
  | 'uploading'
  | 'finalizing'
  | 'waiting-network'
  | 'retrying'
  | 'waiting-server'
  | 'failed'
  | 'auth-required'
  | 'complete';

export type Tone = 'neutral' | 'active' | 'warn' | 'danger' | 'ok';

export interface UploadStatusView {
  kind: StatusKind;
  tone: Tone;
  /** Short label for the indicator ("Waiting for network"); stable, so screen readers announce changes only. */
  label: string;
  /** "next try in 40 s" while waiting for the server: shown beside the label, ticking, not announced. */
  countdown: string | null;
  /** One sentence of detail, or ''. */
  detail: string;
  uploaded: number;
  total: number;
  /** 0..100, integer. */
  percent: number;
  /** Show the retry button, labelled `retryLabel`. */
  canRetry: boolean;
  retryLabel: string;
  /** Show "N / M chunks" without a percentage (while recording, a percentage would read as done). */
  showPercent: boolean;
  shareUrl: string | null;
}

export interface StatusContext {
  /** The page's recorder state for this recording, if it is the one being recorded. */
  recorder: 'recording' | 'paused' | 'stopping' | null;
  online: boolean;
  /** Now (ms epoch), for "next try in 40 s". */
  now?: number;
  /**
   * Whether this browser has Background Sync (Chromium). Without it (Firefox, Safari) nothing
   * uploads once every tab of the app is closed, and the status says so.
   */
  backgroundSync?: boolean;
}

/** "next try in 40 s", "next try in 2 min", or "trying now". */
export function nextTryWords(nextTryAt: number | null, now: number): string {
  if (nextTryAt === null) return 'trying again soon';
  const s = Math.ceil((nextTryAt - now) / 1000);
  if (s <= 0) return 'trying now';
  return s < 120 ? `next try in ${s} s` : `next try in ${Math.round(s / 60)} min`;
}

export function deriveStatus(p: RecordingProgress | null, ctx: StatusContext): UploadStatusView {
  const uploaded = p?.uploaded ?? 0;
  const total = p?.totalQueued ?? 0;
  const percent = total === 0 ? 0 : Math.min(100, Math.floor((uploaded / total) * 100));
  const base = { uploaded, total, percent, countdown: null as string | null, canRetry: false, retryLabel: 'Retry upload', showPercent: true, shareUrl: null as string | null };
  const saved = total === 1 ? '1 chunk saved on this device' : `${total} chunks saved on this device`;
  const whileOpen = ctx.backgroundSync === false ? ' This browser uploads only while the app is open: keep a tab of it open until the upload completes.' : '';
  const chunks = (n: number) => (n === 1 ? '1 chunk' : `${n} chunks`);

  if (p?.phase === 'complete') {
    return { ...base, percent: 100, kind: 'complete', tone: 'ok', label: 'Complete', detail: 'The server holds the whole video.', shareUrl: p.shareUrl };
  }
  if (p?.phase === 'auth-required') {
    return { ...base, kind: 'auth-required', tone: 'warn', label: 'Sign-in required', detail: `Uploads are held until you sign in again; ${saved}.` };
  }
  if (!ctx.online || p?.phase === 'waiting-network') {
    return { ...base, kind: 'waiting-network', tone: 'warn', label: 'Waiting for network', detail: `You are offline; ${saved}. Uploads resume when you are back online.${whileOpen}` };
  }
  if (p && p.failed > p.waiting) {
    // An answer that waiting cannot change: the words come from the one catalogue (errors.ts).
    const n = p.failed - p.waiting;
    const why = p.lastError?.message ?? `${chunks(n)} could not be uploaded.`;
    return { ...base, kind: 'failed', tone: 'danger', label: 'Upload failed', detail: `${why} Nothing is lost: ${saved}.`, canRetry: true };
  }
  if (p?.phase === 'waiting-server' || (p && p.waiting > 0)) {
    const now = ctx.now ?? Date.now();
    const what = p.waiting > 0 ? `${chunks(p.waiting)} not on the server yet` : 'The server has not answered yet';
    return {
      ...base,
      kind: 'waiting-server',
      tone: 'warn',
      label: 'Waiting for the server',
      countdown: nextTryWords(p.nextTryAt, now),
      detail: `${what}; ${saved}. They are sent by themselves as soon as the server answers.${whileOpen}`,
      canRetry: true,
      retryLabel: 'Retry now',
    };
  }
  if (p && (p.phase === 'failed' || p.phase === 'incomplete')) {
    const n = Math.max(p.failed, p.missing?.length ?? 0);
    const why = p.lastError?.message ?? `${chunks(n)} could not be uploaded.`;
    return { ...base, kind: 'failed', tone: 'danger', label: 'Upload failed', detail: `${why} Nothing is lost: ${saved}.`, canRetry: true };
  }
  if (p?.phase === 'retrying' && p.retry) {
    const { index, attempt, maxAttempts } = p.retry;
    return { ...base, kind: 'retrying', tone: 'warn', label: `Retrying (attempt ${attempt}/${maxAttempts})`, detail: `Chunk ${index + 1} failed; trying again shortly.${whileOpen}` };
  }
  if (ctx.recorder === 'paused') {
    return { ...base, showPercent: false, kind: 'paused', tone: 'neutral', label: 'Paused', detail: `Recording is paused; ${uploaded} of ${total} chunks on the server.` };
  }
  if (ctx.recorder === 'recording' || ctx.recorder === 'stopping' || p?.phase === 'recording') {
    const counts = total > 0 ? ` · ${uploaded} of ${total} chunks on the server` : '';
    return { ...base, showPercent: false, kind: 'recording', tone: 'active', label: 'Recording', detail: `Uploading as you record${counts}.${whileOpen}` };
  }
  if (p?.phase === 'finalizing') {
    return { ...base, kind: 'finalizing', tone: 'active', label: 'Finishing upload', detail: 'Every chunk arrived; assembling the video.' };
  }
  if (p) {
    return { ...base, kind: 'uploading', tone: 'active', label: 'Uploading', detail: `${uploaded} of ${total} chunks on the server.${whileOpen}` };
  }
  return { ...base, kind: 'idle', tone: 'neutral', label: 'Ready', detail: '' };
}
