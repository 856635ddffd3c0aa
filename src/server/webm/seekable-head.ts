/**
 * Builds the head of the seekable file from a stream index: the recorded EBML header, a Segment
 * of known size, a SeekHead, Info with a Duration, the recorded Tracks (and Tags, Chapters,
 * Attachments), then Cues. The served file is this head followed by the recorded bytes from the
 * first Cluster on (`replaces` = that offset): the Clusters are never touched or copied.
 *
 * The layout follows what mediabunny's Matroska muxer writes (SeekHead → Info with Duration →
 * Tracks, Cues referenced from the SeekHead), except that our Cues come before the Clusters
 * (allowed by RFC 9559 §6.3: "Cues … can be placed before or after the Clusters"). Putting them
 * in the head means a partial recording's trailing bytes after a gap stay after every indexed
 * element, and the whole rewrite is one small write at finalize.
 *
 * Every number whose value depends on a position is written with a fixed 8-byte width, so
 * lengths are known before positions (a two-pass build without iteration).
 */
import { element, floatElement, idBytes, readChildren, readElementHeader, sizeBytes, uintElement, uintElement8 } from './ebml.ts';
import { ID } from './ids.ts';
import type { StreamIndex } from './cluster-indexer.ts';

export interface SeekableHead {
  head: Buffer;
  /** How many recorded bytes (from offset 0) the head replaces. */
  replaces: number;
  durationMs: number;
  cuePoints: number;
}

/** Header elements copied as recorded; SeekHead, Void, CRC-32 and old Cues are dropped. */
const COPIED = new Set<number>([ID.Tracks, ID.Tags, ID.Chapters, ID.Attachments]);

function payloadOf(bytes: Buffer): Buffer {
  return bytes.subarray(readElementHeader(bytes, 0)!.headerLength);
}

function infoWithDuration(info: Buffer, durationTicks: number): Buffer {
  const payload = payloadOf(info);
  const kept = readChildren(payload)
    .filter((c) => c.id !== ID.Duration)
    .map((c) => payload.subarray(c.start, c.end));
  return element(ID.Info, [...kept, floatElement(ID.Duration, durationTicks)]);
}

export function buildSeekableHead(index: StreamIndex, recordedLength: number): SeekableHead {
  const info = index.headerElements.find((e) => e.id === ID.Info)!;
  const body: { id: number; bytes: Buffer }[] = [{ id: ID.Info, bytes: infoWithDuration(info.bytes, index.durationTicks) }];
  for (const e of index.headerElements) if (COPIED.has(e.id)) body.push(e);

  const seekTargets = [...body.map((e) => e.id), ID.Cues];
  const seekHead = (positions: number[]) =>
    element(ID.SeekHead, seekTargets.map((id, k) => element(ID.Seek, [element(ID.SeekID, idBytes(id)), uintElement8(ID.SeekPosition, positions[k]!)])));
  const cues = (clusterBase: number) =>
    element(
      ID.Cues,
      index.cues.map((c) =>
        element(ID.CuePoint, [
          uintElement8(ID.CueTime, c.time),
          element(ID.CueTrackPositions, [uintElement(ID.CueTrack, index.cueTrack), uintElement8(ID.CueClusterPosition, clusterBase + c.clusterOffset)]),
        ]),
      ),
    );

  // Pass 1: lengths (independent of the position values by construction).
  const seekHeadLength = seekHead(seekTargets.map(() => 0)).length;
  const bodyLength = body.reduce((n, e) => n + e.bytes.length, 0);
  const cuesLength = cues(0).length;
  const segmentHeaderLength = 4 + 8;
  const segmentPayloadHead = seekHeadLength + bodyLength + cuesLength;
  const headLength = index.ebmlHeader.length + segmentHeaderLength + segmentPayloadHead;

  // Pass 2: positions relative to the Segment's data (RFC 9559 §16: SeekPosition, CueClusterPosition).
  const positions: number[] = [];
  let at = seekHeadLength;
  for (const e of body) {
    positions.push(at);
    at += e.bytes.length;
  }
  positions.push(at);
  const clusterBase = segmentPayloadHead - index.firstClusterOffset;
  const segmentSize = segmentPayloadHead + (recordedLength - index.firstClusterOffset);
  const head = Buffer.concat([
    index.ebmlHeader,
    idBytes(ID.Segment),
    sizeBytes(segmentSize, 8),
    seekHead(positions),
    ...body.map((e) => e.bytes),
    cues(clusterBase),
  ]);
  if (head.length !== headLength) throw new Error('seekable head length changed between passes');
  return {
    head,
    replaces: index.firstClusterOffset,
    durationMs: Math.round((index.durationTicks * index.timestampScale) / 1e6),
    cuePoints: index.cues.length,
  };
}
