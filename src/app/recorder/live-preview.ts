/**
 * The live preview before Start: the camera (camera modes) and the microphone with its level
 * meter, opened while the Record view is shown and nothing records. Opening is asynchronous and
 * the user may switch source meanwhile, so each open carries a generation and a stale one
 * releases what it got.
 */
import { openPreview, type PreviewMedia, type Source } from './media-sources.ts';
import type { MicLevel } from './mic-level.ts';
import { mediaMessage } from './recorder-notices.ts';

export class LivePreview {
  media: PreviewMedia | null = null;
  /** The camera as a stream for the preview's <video>, or null. */
  cameraStream: MediaStream | null = null;
  micUnavailable = false;
  error: string | null = null;
  /** Whether the view wants a preview (Record view shown, nothing recording). */
  wanted = false;
  private gen = 0;

  constructor(
    private readonly mic: MicLevel,
    private readonly changed: () => void,
  ) {}

  async open(source: Source, microphone: boolean): Promise<void> {
    const gen = ++this.gen;
    this.error = null;
    try {
      const media = await openPreview(source, microphone);
      if (gen !== this.gen || !this.wanted) return media.release();
      this.media = media;
      this.cameraStream = media.camera ? new MediaStream([media.camera]) : null;
      this.micUnavailable = media.micUnavailable;
      this.mic.attach(media.mic);
    } catch (e) {
      if (gen !== this.gen) return;
      this.error = mediaMessage(e);
    }
    this.changed();
  }

  close(): void {
    this.gen++;
    this.mic.detach();
    this.media?.release();
    this.media = null;
    this.cameraStream = null;
  }
}
