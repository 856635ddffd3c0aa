/**
 * The poster frame: one frame of what is being recorded, about a second in, as a JPEG small
 * enough for the server's limit (512 KiB). Taken from the recorded track itself, so it shows
 * exactly what the video shows (screen, camera, or both with the bubble).
 */
export const POSTER_MAX_BYTES = 512 * 1024;
const POSTER_WIDTH = 640;

export async function grabPoster(track: MediaStreamTrack, signal?: AbortSignal): Promise<Blob | null> {
  if (track.readyState !== 'live') return null;
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  try {
    await video.play();
    if (video.videoWidth === 0) {
      await new Promise<void>((resolve) => video.addEventListener('resize', () => resolve(), { once: true }));
    }
    if (signal?.aborted) return null;
    const scale = Math.min(1, POSTER_WIDTH / video.videoWidth);
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext('2d')!.drawImage(video, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.82, 0.6, 0.4]) {
      const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', quality));
      if (blob && blob.size <= POSTER_MAX_BYTES) return blob;
    }
    return null;
  } finally {
    video.srcObject = null;
  }
}
