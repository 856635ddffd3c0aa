/**
 * The completion check's facts: what the server said of a complete video, and which digest pair
 * to compare — the chunks digest when the server sent one (docs/API.md "Which digest proves
 * what"), else the recording's SHA-256 from a server that predates it. SessionOps decides what
 * follows (complete and release, mismatch, or ask the status again).
 */
import type { VideoStatus } from '../../shared/api.ts';
import type { CompletionCheck, RecordingRecord } from '../../shared/outbox/schema.ts';
import type { Outbox } from '../../shared/outbox/store.ts';

/** What the server said of a complete video: finalize's answer, or the video's status. */
export interface ServerCompletion {
  /** SHA-256 over the ordered chunk SHA-256s; absent from servers that predate it. */
  chunksDigest: string | null;
  /** SHA-256 of the recorded bytes; null while the server computes it after completion. */
  sha256: string | null;
  size: number;
  shareUrl: string;
  videoUrl: string;
}

/** The server's digest and the local one of the same kind (`local` null: none could be computed). */
export interface DigestPair {
  by: CompletionCheck['by'];
  digest: string;
  local: string | null;
}

/**
 * The server's digest and the local one of the same kind: the chunks digest when the server
 * sent one, else (an older server) the recording's SHA-256; null when it sent neither yet.
 * The local digest is computed (and kept) here if the recording has none.
 */
export async function digestsToCompare(outbox: Outbox, rec: RecordingRecord, server: ServerCompletion): Promise<DigestPair | null> {
  const total = rec.totalChunks;
  if (server.chunksDigest) {
    let local = rec.localChunksDigest;
    if (local === null && total !== null) {
      local = await outbox.computeLocalChunksDigest(rec.id, total);
      if (local !== null) await outbox.patchRecording(rec.id, { localChunksDigest: local });
    }
    return { by: 'chunks-digest', digest: server.chunksDigest, local };
  }
  if (server.sha256) {
    let local = rec.localSha256;
    if (local === null && total !== null) {
      local = await outbox.computeLocalSha256(rec.id, total);
      if (local !== null) await outbox.patchRecording(rec.id, { localSha256: local });
    }
    return { by: 'sha256', digest: server.sha256, local };
  }
  return null;
}

/** The completion facts of a complete video status (init of a known recording, or a status poll). */
export function completionOf(st: VideoStatus): ServerCompletion {
  return { chunksDigest: st.chunksDigest ?? null, sha256: st.sha256, size: st.bytes, shareUrl: st.shareUrl, videoUrl: st.videoUrl ?? '' };
}
