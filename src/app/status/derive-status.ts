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
  | 'failed'
  | 'auth-required'
  | 'complete';

export type Tone = 'neutral' | 'active' | 'warn' | 'danger' | 'ok';

export interface UploadStatusView {
  kind: StatusKind;
  tone: Tone;
  /** Short label for the indicator ("Waiting for network"). */
  label: string;
  /** One sentence of detail, or ''. */
  detail: string;
  uploaded: number;
  total: number;
  /** 0..100, integer. */
  percent: number;
  /** Show the "Retry upload" button. */
  canRetry: boolean;
  shareUrl: string | null;
}

export interface StatusContext {
  /** The page's recorder state for this recording, if it is the one being recorded. */
  recorder: 'recording' | 'paused' | 'stopping' | null;
  online: boolean;
}

export function deriveStatus(p: RecordingProgress | null, ctx: StatusContext): UploadStatusView {
  const uploaded = p?.uploaded ?? 0;
  const total = p?.totalQueued ?? 0;
  const percent = total === 0 ? 0 : Math.min(100, Math.floor((uploaded / total) * 100));
  const base = { uploaded, total, percent, canRetry: false, shareUrl: null as string | null };
  const saved = total === 1 ? '1 chunk saved on this device' : `${total} chunks saved on this device`;

  if (p?.phase === 'complete') {
    return { ...base, percent: 100, kind: 'complete', tone: 'ok', label: 'Complete', detail: 'The server holds the whole video.', shareUrl: p.shareUrl };
  }
  if (p?.phase === 'auth-required') {
    return { ...base, kind: 'auth-required', tone: 'warn', label: 'Sign-in required', detail: `Uploads are held until you sign in again; ${saved}.` };
  }
  if (p && (p.failed > 0 || p.phase === 'failed' || p.phase === 'incomplete')) {
    const n = Math.max(p.failed, p.missing?.length ?? 0);
    const what = n === 1 ? '1 chunk' : `${n} chunks`;
    return {
      ...base,
      kind: 'failed',
      tone: 'danger',
      label: 'Upload failed',
      detail: `${what} could not be uploaded. Nothing is lost: ${saved}.`,
      canRetry: true,
    };
  }
  if (!ctx.online || p?.phase === 'waiting-network') {
    return { ...base, kind: 'waiting-network', tone: 'warn', label: 'Waiting for network', detail: `You are offline; ${saved}. Uploads resume when you are back online.` };
  }
  if (p?.phase === 'retrying' && p.retry) {
    const { index, attempt, maxAttempts } = p.retry;
    return { ...base, kind: 'retrying', tone: 'warn', label: `Retrying (attempt ${attempt}/${maxAttempts})`, detail: `Chunk ${index + 1} failed; trying again shortly.` };
  }
  if (ctx.recorder === 'paused') {
    return { ...base, kind: 'paused', tone: 'neutral', label: 'Paused', detail: 'Recording is paused; uploads continue.' };
  }
  if (ctx.recorder === 'recording' || ctx.recorder === 'stopping' || p?.phase === 'recording') {
    return { ...base, kind: 'recording', tone: 'active', label: 'Recording', detail: 'Uploading while you record.' };
  }
  if (p?.phase === 'finalizing') {
    return { ...base, kind: 'finalizing', tone: 'active', label: 'Finishing upload', detail: 'Every chunk arrived; assembling the video.' };
  }
  if (p) {
    return { ...base, kind: 'uploading', tone: 'active', label: 'Uploading', detail: `${uploaded} of ${total} chunks on the server.` };
  }
  return { ...base, kind: 'idle', tone: 'neutral', label: 'Ready', detail: '' };
}
