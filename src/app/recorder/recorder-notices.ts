/**
 * What the recorder says, in words, when a source cannot be opened, a start fails, or a take
 * ends other than by the user's Stop.
 */
import { formatClock } from '../format.ts';
import { MediaAccessError } from './media-sources.ts';
import type { SessionResult } from './recording-session.ts';

export interface Notice {
  tone: 'danger' | 'warn' | 'ok';
  text: string;
}

const MEDIA_MESSAGES: Record<MediaAccessError['code'], string> = {
  permission_denied: 'Access to the camera, microphone or screen was blocked. Allow it in the browser’s site settings and try again.',
  no_device: 'No camera was found. Connect one, or record your screen instead.',
  unsupported: 'This browser cannot capture that source.',
  failed: 'The camera or screen could not be opened.',
  cancelled: 'No screen was chosen, so nothing was recorded.',
};

export function mediaMessage(e: unknown): string {
  return e instanceof MediaAccessError ? MEDIA_MESSAGES[e.code] : MEDIA_MESSAGES.failed;
}

export function startFailureNotice(e: unknown): Notice {
  const code = (e as { code?: unknown }).code;
  if (e instanceof MediaAccessError) return { tone: e.code === 'cancelled' ? 'warn' : 'danger', text: MEDIA_MESSAGES[e.code] };
  if (code === 'quota_exceeded') return { tone: 'danger', text: 'This device is out of storage space for recordings. Free some space and try again.' };
  return { tone: 'danger', text: 'The recording could not be started.' };
}

/** The notice for a take that ended by itself (null after the user's own Stop). */
export function endedNotice(r: SessionResult, elapsedMs: number, chunkMs: number): Notice | null {
  const saved = `${r.totalChunks} ${r.totalChunks === 1 ? 'chunk' : 'chunks'} (${formatClock(elapsedMs)})`;
  if (r.reason === 'quota') {
    // The elapsed clock overstates what is safe here: the chunk that hit the quota was not saved.
    const savedTime = formatClock(r.totalChunks * chunkMs);
    return {
      tone: 'danger',
      text: `Recording stopped: this device ran out of storage space. ${r.totalChunks} ${r.totalChunks === 1 ? 'chunk' : 'chunks'} (about ${savedTime}) were saved before that and will upload; the last moments could not be saved.`,
    };
  }
  if (r.reason === 'storage-error' || r.reason === 'recorder-error') {
    return { tone: 'danger', text: `Recording stopped because of an error. The ${saved} recorded before it are saved and will upload.` };
  }
  if (r.reason === 'source-ended') return { tone: 'ok', text: `Sharing ended, so the recording stopped. ${saved} saved.` };
  return null;
}
