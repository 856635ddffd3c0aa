/**
 * Starting a take once the countdown is over: what MediaRecorder records (the camera, the screen,
 * or the screen with the camera composited as a bubble — each a clone, so the live preview keeps
 * its own tracks — plus the microphone), the recording's Web Lock (held until it ends, so a
 * crashed tab's take is found interrupted), and the RecordingSession writing into the outbox.
 */
import type { Logger } from '../../shared/log.ts';
import type { AppServices } from '../services.ts';
import type { BubblePlacement } from './bubble.ts';
import { startComposite, type Composite } from './compositor.ts';
import { defaultTitle } from './default-title.ts';
import { MediaAccessError, type PreviewMedia, type Source } from './media-sources.ts';
import { RecordingSession, type SessionResult } from './recording-session.ts';
import { holdRecordingLock } from './recording-lock.ts';

export interface TakeStartInput {
  services: AppServices;
  mimeType: string;
  source: Source;
  preview: PreviewMedia;
  /** The shared screen (screen modes). */
  screen: MediaStream | null;
  placement: BubblePlacement;
  logger: Logger;
  /** The browser's own "Stop sharing" ended the screen track. */
  onSourceEnded(): void;
  /** The session closed the take in the outbox (user, source, quota). */
  onEnded(r: SessionResult, title: string): void;
}

export interface StartedTake {
  id: string;
  session: RecordingSession;
  /** What is being recorded. */
  stream: MediaStream;
  composite: Composite | null;
  chunkMs: number;
}

export async function startTake(i: TakeStartInput): Promise<StartedTake> {
  const settings = await i.services.outbox.getSettings();
  const tracks: MediaStreamTrack[] = [];
  let composite: Composite | null = null;
  if (i.source === 'camera') {
    if (!i.preview.camera) throw new MediaAccessError('no_device');
    tracks.push(i.preview.camera.clone());
  } else {
    const screenTrack = i.screen!.getVideoTracks()[0]!;
    if (i.source === 'screen+camera' && i.preview.camera) {
      composite = startComposite(screenTrack, i.preview.camera.clone(), i.placement);
      tracks.push(...composite.stream.getVideoTracks());
      i.logger.info({ mode: composite.mode }, 'recorder.composite');
    } else tracks.push(screenTrack);
    // The browser's own "Stop sharing" ends the screen track; the mic may still be live, so
    // the recorder would not stop by itself.
    screenTrack.addEventListener('ended', () => i.onSourceEnded(), { once: true });
  }
  if (i.preview.mic) tracks.push(i.preview.mic.clone());
  const stream = new MediaStream(tracks);
  const id = crypto.randomUUID();
  const title = defaultTitle(i.source, new Date());
  let release!: () => void;
  const ended = new Promise<void>((r) => (release = r));
  await holdRecordingLock(id, ended);
  try {
    const session = await RecordingSession.begin(
      {
        outbox: i.services.outbox,
        upload: i.services.upload,
        createRecorder: (s, type) => new MediaRecorder(s, { mimeType: type }),
        newId: () => id,
        logger: i.logger,
      },
      { stream, mimeType: i.mimeType, chunkMs: settings.chunkMs, title, onEnded: (r) => { release(); i.onEnded(r, title); } },
    );
    return { id, session, stream, composite, chunkMs: settings.chunkMs };
  } catch (e) {
    release();
    stream.getTracks().forEach((t) => t.stop());
    composite?.stop();
    throw e;
  }
}
