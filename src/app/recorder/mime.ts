/**
 * Picks the recording container/codec the browser supports, best first.
 * WebM first: Chromium's MP4 MediaRecorder emits almost nothing until stop() (DESIGN.md
 * "Browser tests"), which would defeat uploading while recording; MP4 is the last resort
 * for browsers that only have it (Safari before 18.4).
 */
export const MIME_CANDIDATES = [
  'video/webm;codecs=vp9,opus',
  'video/webm;codecs=vp8,opus',
  'video/webm',
  'video/mp4',
] as const;

/** The first candidate `isSupported` accepts, or null when the browser can record none of them. */
export function pickMimeType(isSupported: (type: string) => boolean, candidates: readonly string[] = MIME_CANDIDATES): string | null {
  for (const type of candidates) {
    try {
      if (isSupported(type)) return type;
    } catch {
      // Some engines throw on unknown codec strings instead of answering false; treat as unsupported.
    }
  }
  return null;
}

/** File extension for exports of a recording of this MIME type. */
export function extensionFor(mimeType: string): 'webm' | 'mp4' {
  return /^video\/mp4/i.test(mimeType) ? 'mp4' : 'webm';
}
