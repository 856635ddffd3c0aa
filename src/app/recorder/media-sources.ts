/**
 * Getting the streams to record. "Screen + camera" records the screen (with the microphone) and
 * shows the camera only in the live preview: compositing both into one canvas stream would cost
 * a render loop per frame on the main thread, which the issue leaves optional.
 */
export type Source = 'camera' | 'screen' | 'screen+camera';

export interface AcquiredMedia {
  /** What MediaRecorder records. */
  record: MediaStream;
  /** Camera shown over the screen preview (not recorded), or null. */
  overlay: MediaStream | null;
  /** True when the microphone was asked for but could not be opened. */
  micUnavailable: boolean;
  /** Stop every track (record and overlay). */
  release(): void;
}

export class MediaAccessError extends Error {
  constructor(
    readonly code: 'permission_denied' | 'no_device' | 'unsupported' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(code, options);
    this.name = 'MediaAccessError';
  }
}

function translate(e: unknown): MediaAccessError {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return new MediaAccessError('permission_denied', { cause: e });
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return new MediaAccessError('no_device', { cause: e });
  return new MediaAccessError('failed', { cause: e });
}

async function microphone(): Promise<MediaStreamTrack | null> {
  try {
    const s = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    return s.getAudioTracks()[0] ?? null;
  } catch {
    return null;
  }
}

export async function acquireMedia(source: Source, withMic: boolean): Promise<AcquiredMedia> {
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia) throw new MediaAccessError('unsupported');
  const owned: MediaStream[] = [];
  const releaseAll = () => owned.forEach((s) => s.getTracks().forEach((t) => t.stop()));
  try {
    if (source === 'camera') {
      const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
      let stream: MediaStream;
      let micUnavailable = false;
      try {
        stream = await md.getUserMedia({ video, audio: withMic });
      } catch (e) {
        if (!withMic) throw e;
        stream = await md.getUserMedia({ video });
        micUnavailable = true;
      }
      owned.push(stream);
      return { record: stream, overlay: null, micUnavailable, release: releaseAll };
    }
    if (!md.getDisplayMedia) throw new MediaAccessError('unsupported');
    const screen = await md.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: false });
    owned.push(screen);
    const tracks: MediaStreamTrack[] = [...screen.getVideoTracks()];
    let micUnavailable = false;
    if (withMic) {
      const mic = await microphone();
      if (mic) {
        tracks.push(mic);
        owned.push(new MediaStream([mic]));
      } else micUnavailable = true;
    }
    let overlay: MediaStream | null = null;
    if (source === 'screen+camera') {
      overlay = await md.getUserMedia({ video: { width: { ideal: 320 }, height: { ideal: 240 } } }).catch(() => null);
      if (overlay) owned.push(overlay);
    }
    return { record: new MediaStream(tracks), overlay, micUnavailable, release: releaseAll };
  } catch (e) {
    releaseAll();
    throw e instanceof MediaAccessError ? e : translate(e);
  }
}
