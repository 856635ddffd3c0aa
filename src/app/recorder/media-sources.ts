/**
 * Getting the streams: the camera and microphone are opened for the live preview before Start
 * (so the user sees themselves and their mic level), the screen only when Start is pressed (the
 * browser's picker needs the click's user activation). What is recorded is assembled from these
 * in recorder-controller: the camera, the screen, or both composited (compositor.ts).
 */
export type Source = 'camera' | 'screen' | 'screen+camera';

export interface PreviewMedia {
  /** Camera video track (camera modes), or null. */
  camera: MediaStreamTrack | null;
  /** Microphone track, or null (off, or could not be opened). */
  mic: MediaStreamTrack | null;
  /** True when the microphone was asked for but could not be opened. */
  micUnavailable: boolean;
  release(): void;
}

export class MediaAccessError extends Error {
  constructor(
    readonly code: 'permission_denied' | 'no_device' | 'unsupported' | 'failed' | 'cancelled',
    options?: { cause?: unknown },
  ) {
    super(code, options);
    this.name = 'MediaAccessError';
  }
}

function translate(e: unknown): MediaAccessError {
  if (e instanceof MediaAccessError) return e;
  const name = (e as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return new MediaAccessError('permission_denied', { cause: e });
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return new MediaAccessError('no_device', { cause: e });
  if (name === 'AbortError') return new MediaAccessError('cancelled', { cause: e });
  return new MediaAccessError('failed', { cause: e });
}

const CAMERA = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const MIC = { echoCancellation: true, noiseSuppression: true };

/** Opens what the preview shows for `source`: the camera (not for screen only) and the microphone. */
export async function openPreview(source: Source, withMic: boolean): Promise<PreviewMedia> {
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia) throw new MediaAccessError('unsupported');
  const tracks: MediaStreamTrack[] = [];
  const release = () => tracks.forEach((t) => t.stop());
  let camera: MediaStreamTrack | null = null;
  let mic: MediaStreamTrack | null = null;
  try {
    if (source !== 'screen') {
      try {
        const s = await md.getUserMedia({ video: CAMERA, audio: withMic ? MIC : false });
        tracks.push(...s.getTracks());
        camera = s.getVideoTracks()[0] ?? null;
        mic = s.getAudioTracks()[0] ?? null;
      } catch (e) {
        if (!withMic) throw e;
        // The camera may work without the microphone (a missing or blocked mic).
        const s = await md.getUserMedia({ video: CAMERA });
        tracks.push(...s.getTracks());
        camera = s.getVideoTracks()[0] ?? null;
      }
    } else if (withMic) {
      const s = await md.getUserMedia({ audio: MIC }).catch(() => null);
      if (s) tracks.push(...s.getTracks());
      mic = s?.getAudioTracks()[0] ?? null;
    }
  } catch (e) {
    release();
    throw translate(e);
  }
  return { camera, mic, micUnavailable: withMic && !mic, release };
}

/** Asks for a screen, window or tab (the browser's picker). Must run within the click that started it. */
export async function openScreen(): Promise<MediaStream> {
  const md = navigator.mediaDevices;
  if (!md?.getDisplayMedia) throw new MediaAccessError('unsupported');
  try {
    return await md.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: false });
  } catch (e) {
    throw translate(e);
  }
}
