/**
 * SHA-256 of streamed bytes on the Sha256Service (a worker thread in production, so the event
 * loop keeps serving uploads while a long recording is hashed after completion), and the digest
 * of the served file (served-file.ts): the head followed by the recorded bytes from the first
 * Cluster on, or the recorded digest itself when the file is served as recorded.
 */
import type { Sha256Service } from '../hashing/sha256-service.ts';
import type { MediaLayout, VideoRecord } from '../storage/metadata-repo.ts';
import type { OutputWriter } from '../storage/ports.ts';

/** Bytes handed to the service before waiting for it to read them: bounded memory per job. */
const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;
/**
 * Store reads arrive in pieces of 16–64 KiB; each update is a message to the hash worker, whose
 * fixed cost dominated at that size (a 256 MiB job took ~4× a one-pass createHash). Pieces are
 * gathered into updates of this size (the worker copies the bytes once either way).
 */
const UPDATE_BYTES = 1024 * 1024;

/**
 * Hex SHA-256 of everything `source` yields, in order; `tap` sees each buffer first (the WebM
 * indexer rides on the same read). Throws when the service lost the running hash (a worker that
 * died mid-way answers null, Sha256Service) instead of returning a digest of part of the bytes.
 */
export async function digestStream(
  sha256: Sha256Service,
  key: string,
  source: AsyncIterable<Buffer | Uint8Array>,
  tap?: (buf: Buffer) => void,
): Promise<{ hex: string; bytes: number }> {
  sha256.reset(key);
  let inFlight: Promise<void>[] = [];
  let pendingBytes = 0;
  let total = 0;
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const send = () => {
    inFlight.push(sha256.update(key, gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes)));
    pendingBytes += gatheredBytes;
    gathered = [];
    gatheredBytes = 0;
  };
  try {
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      tap?.(buf);
      gathered.push(buf);
      gatheredBytes += buf.length;
      total += buf.length;
      if (gatheredBytes >= UPDATE_BYTES) send();
      if (pendingBytes >= MAX_IN_FLIGHT_BYTES) {
        const batch = inFlight;
        inFlight = [];
        pendingBytes = 0;
        await Promise.all(batch);
      }
    }
    if (gatheredBytes > 0) send();
    await Promise.all(inFlight);
    inFlight = [];
    const hex = await sha256.peek(key);
    if (hex === null) throw new Error(`running SHA-256 ${key} was lost`);
    return { hex, bytes: total };
  } finally {
    // On an error, let the updates already handed over settle before the key is dropped (and
    // never leave their rejections unhandled).
    await Promise.allSettled(inFlight);
    sha256.drop(key);
  }
}

/**
 * SHA-256 of the bytes /file serves for this layout. Served as recorded: the recorded digest.
 * Seekable: `head` (already checked against the layout's length) then the recorded bytes from
 * `replaces` to the end, read once more from the output.
 */
export async function servedDigest(
  deps: { sha256: Sha256Service; output: Pick<OutputWriter, 'open'> },
  video: VideoRecord,
  layout: MediaLayout,
  head: Buffer | null,
  recordedSha256: string,
): Promise<string> {
  const h = layout.seekable ? layout.servedHead : null;
  if (!h) return recordedSha256;
  if (!head || head.length !== h.length) throw new Error(`served head of ${video.id} is missing or not ${h.length} bytes`);
  const { output } = deps;
  async function* served(): AsyncGenerator<Buffer> {
    yield head!;
    if (video.assembledBytes > h!.replaces) {
      const { body } = await output.open(video.id, { start: h!.replaces, end: video.assembledBytes - 1 });
      yield* body as AsyncIterable<Buffer>;
    }
  }
  const { hex, bytes } = await digestStream(deps.sha256, `after:${video.id}:served`, served());
  const expected = h.length + video.assembledBytes - h.replaces;
  if (bytes !== expected) throw new Error(`served file of ${video.id} read ${bytes} bytes, expected ${expected}`);
  return hex;
}
