/**
 * A streaming index of a WebM recording, fed its bytes in order, chunk after chunk, as they are
 * appended: it keeps the level-1 header elements (EBML header, Info, Tracks…), and for every
 * Cluster its byte offset and the timestamp of its first video keyframe, and the last block
 * timestamp of each track (for the duration). It never holds more than one header element or a
 * few bytes of a split element header: block payloads are skipped, not buffered.
 *
 * MediaRecorder's WebM is a live stream (Chromium bug 642012): the Segment and its Clusters
 * have unknown size (RFC 9559 §6.2: such an element ends where an element that cannot be its
 * child begins), chunks cut clusters and even element headers anywhere, and there is no
 * Duration (Chromium) or a Duration of 0 (Firefox), no SeekHead and no Cues.
 *
 * Strict on purpose: anything outside the WebM structure we understand (an unknown ID where a
 * Segment or Cluster child is expected, a child overrunning its parent, a bad vint) fails the
 * index, and the recording is then served exactly as received (never "repaired" by guessing).
 */
import { EbmlError, readChildren, readElementHeader, readUint, vintLength } from './ebml.ts';
import { CLUSTER_CHILDREN, ID, SEGMENT_CHILDREN } from './ids.ts';

/** A header element (level 1, before the first Cluster) is kept whole; larger ones fail the index. */
const MAX_HEADER_ELEMENT = 1024 * 1024;
const MAX_EBML_HEADER = 4096;
const EMPTY = Buffer.alloc(0);

export interface CuePoint {
  /** Timestamp in TimestampScale ticks. */
  time: number;
  /** Offset of the Cluster element in the recorded stream. */
  clusterOffset: number;
}

export interface StreamIndex {
  /** The whole EBML header element, as recorded. */
  ebmlHeader: Buffer;
  /** Level-1 elements before the first Cluster (each whole, as recorded). */
  headerElements: { id: number; bytes: Buffer }[];
  /** Offset of the first Cluster: everything before it is header. */
  firstClusterOffset: number;
  timestampScale: number;
  /** Track the cue points refer to (the first video track, else the first track). */
  cueTrack: number;
  cues: CuePoint[];
  /** End of the last block seen, in ticks (last timestamp + that track's last frame interval). */
  durationTicks: number;
  /** Stream bytes consumed. */
  indexedBytes: number;
}

export type IndexOutcome = { ok: true; index: StreamIndex } | { ok: false; reason: string };

interface Container {
  id: number;
  /** Absolute end offset, or null for unknown size. */
  end: number | null;
}

interface TrackClock {
  last: number;
  gap: number;
}

export class ClusterIndexer {
  private pending: Buffer = EMPTY;
  /** Absolute offset of pending[0]. */
  private pos = 0;
  private skip = 0;
  private readonly stack: Container[] = [];
  private failure: string | null = null;
  private ebmlHeader: Buffer | null = null;
  private sawSegment = false;
  private readonly headerElements: { id: number; bytes: Buffer }[] = [];
  private firstClusterOffset: number | null = null;
  private timestampScale = 1_000_000;
  private cueTrack: number | null = null;
  private cluster: { offset: number; timestamp: number | null; cued: boolean } | null = null;
  private readonly cues: CuePoint[] = [];
  private readonly clocks = new Map<number, TrackClock>();

  get failed(): string | null {
    return this.failure;
  }

  get indexedBytes(): number {
    return this.pos + this.pending.length;
  }

  private atGap = false;

  /** The stream continues after a gap (a partial recording): index nothing more. */
  stopAtGap(): void {
    this.atGap = true;
  }

  feed(buf: Buffer): void {
    if (this.failure !== null || this.atGap) return;
    try {
      this.run(buf);
    } catch (err) {
      if (!(err instanceof EbmlError)) throw err;
      this.failure = err.message;
      this.pending = EMPTY;
    }
  }

  /**
   * The index of what was fed. Before a gap (`stopAtGap`) the stream may stop mid-element (the
   * chunk after it is missing); otherwise it must stop at an element boundary, else it is
   * truncated and not understood.
   */
  finish(): IndexOutcome {
    if (this.failure !== null) return { ok: false, reason: this.failure };
    if (!this.atGap && (this.skip > 0 || this.pending.length > 0)) return { ok: false, reason: 'stream ends inside an element' };
    if (this.ebmlHeader === null || this.firstClusterOffset === null || this.cueTrack === null) return { ok: false, reason: 'no cluster' };
    if (this.cues.length === 0) return { ok: false, reason: 'no keyframe to cue' };
    let durationTicks = 0;
    for (const c of this.clocks.values()) durationTicks = Math.max(durationTicks, c.last + c.gap);
    return {
      ok: true,
      index: {
        ebmlHeader: this.ebmlHeader,
        headerElements: this.headerElements,
        firstClusterOffset: this.firstClusterOffset,
        timestampScale: this.timestampScale,
        cueTrack: this.cueTrack,
        cues: this.cues,
        durationTicks,
        indexedBytes: this.indexedBytes,
      },
    };
  }

  private run(buf: Buffer): void {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, buf]) : buf;
    const base = this.pos;
    let i = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - i);
        i += n;
        this.skip -= n;
        if (this.skip > 0) break;
      }
      const abs = base + i;
      this.closeEnded(abs);
      const h = readElementHeader(data, i);
      if (!h) break;
      const dataStart = abs + h.headerLength;
      const end = h.size === null ? null : dataStart + h.size;
      const top = this.stack.at(-1);
      if (top?.id === ID.Cluster && !CLUSTER_CHILDREN.has(h.id)) {
        if (top.end === null && SEGMENT_CHILDREN.has(h.id)) {
          this.stack.pop();
          continue;
        }
        throw new EbmlError(`unexpected element 0x${h.id.toString(16)} in a Cluster`);
      }
      if (end === null && h.id !== ID.Segment && h.id !== ID.Cluster) throw new EbmlError(`unknown size for 0x${h.id.toString(16)}`);
      if (end !== null && top && top.end !== null && end > top.end) throw new EbmlError(`element 0x${h.id.toString(16)} overruns its parent`);
      const available = data.length - i;
      const whole = h.headerLength + (h.size ?? 0);

      if (!top) {
        if (this.ebmlHeader === null) {
          if (h.id !== ID.EBML || h.size === null || h.size > MAX_EBML_HEADER) throw new EbmlError('not an EBML stream');
          if (available < whole) break;
          this.ebmlHeader = Buffer.from(data.subarray(i, i + whole));
          this.checkDocType(this.ebmlHeader.subarray(h.headerLength));
          i += whole;
        } else if (!this.sawSegment && h.id === ID.Segment) {
          this.sawSegment = true;
          this.stack.push({ id: ID.Segment, end });
          i += h.headerLength;
        } else {
          throw new EbmlError('data outside the Segment');
        }
      } else if (top.id === ID.Segment) {
        if (!SEGMENT_CHILDREN.has(h.id)) throw new EbmlError(`unexpected element 0x${h.id.toString(16)} in the Segment`);
        if (h.id === ID.Cluster) {
          if (this.firstClusterOffset === null) this.readHeader(abs);
          this.cluster = { offset: abs, timestamp: null, cued: false };
          this.stack.push({ id: ID.Cluster, end });
          i += h.headerLength;
        } else if (this.firstClusterOffset === null) {
          if (whole > MAX_HEADER_ELEMENT) throw new EbmlError('header element too large');
          if (available < whole) break;
          this.headerElements.push({ id: h.id, bytes: Buffer.from(data.subarray(i, i + whole)) });
          i += whole;
        } else {
          i += h.headerLength;
          this.skip = h.size!;
        }
      } else if (top.id === ID.Cluster) {
        if (h.id === ID.Timestamp) {
          if (h.size! > 8) throw new EbmlError('cluster timestamp too long');
          if (available < whole) break;
          this.cluster!.timestamp = readUint(data.subarray(i + h.headerLength, i + whole));
          i += whole;
        } else if (h.id === ID.SimpleBlock) {
          if (!this.block(data, i, h.headerLength, h.size!, true)) break;
          i += h.headerLength;
          this.skip = h.size!;
        } else if (h.id === ID.BlockGroup) {
          this.stack.push({ id: ID.BlockGroup, end });
          i += h.headerLength;
        } else {
          i += h.headerLength;
          this.skip = h.size!;
        }
      } else {
        // Inside a (sized) BlockGroup: its Block has the timestamp; the rest is skipped.
        if (h.id === ID.Block && !this.block(data, i, h.headerLength, h.size!, false)) break;
        i += h.headerLength;
        this.skip = h.size!;
      }
    }
    this.pos = base + i;
    this.pending = i < data.length ? Buffer.from(data.subarray(i)) : EMPTY;
  }

  private closeEnded(abs: number): void {
    for (let top = this.stack.at(-1); top && top.end !== null && top.end <= abs; top = this.stack.at(-1)) {
      if (top.end < abs) throw new EbmlError('element overran its parent');
      this.stack.pop();
    }
  }

  private checkDocType(payload: Buffer): void {
    const docType = readChildren(payload).find((c) => c.id === ID.DocType)?.data.toString('latin1');
    if (docType !== 'webm' && docType !== 'matroska') throw new EbmlError(`DocType ${JSON.stringify(docType)} is not WebM`);
  }

  /** Called at the first Cluster: reads TimestampScale and picks the track to cue. */
  private readHeader(firstClusterOffset: number): void {
    this.firstClusterOffset = firstClusterOffset;
    const payloadOf = (bytes: Buffer) => bytes.subarray(readElementHeader(bytes, 0)!.headerLength);
    const info = this.headerElements.find((e) => e.id === ID.Info);
    const tracks = this.headerElements.find((e) => e.id === ID.Tracks);
    if (!info || !tracks) throw new EbmlError('no Info or Tracks before the first Cluster');
    const scale = readChildren(payloadOf(info.bytes)).find((c) => c.id === ID.TimestampScale);
    if (scale) this.timestampScale = readUint(scale.data);
    if (!(this.timestampScale > 0)) throw new EbmlError('TimestampScale of 0');
    let first: number | null = null;
    for (const entry of readChildren(payloadOf(tracks.bytes)).filter((c) => c.id === ID.TrackEntry)) {
      const fields = readChildren(entry.data);
      const num = fields.find((f) => f.id === ID.TrackNumber);
      if (!num) continue;
      const n = readUint(num.data);
      first ??= n;
      const type = fields.find((f) => f.id === ID.TrackType);
      if (type && readUint(type.data) === 1 && this.cueTrack === null) this.cueTrack = n;
    }
    if (first === null) throw new EbmlError('no track');
    this.cueTrack ??= first;
  }

  /**
   * Reads a (Simple)Block's track, timestamp and keyframe flag (RFC 9559 §10). Returns false
   * when its first bytes have not arrived yet.
   */
  private block(data: Buffer, i: number, headerLength: number, size: number, simple: boolean): boolean {
    const at = i + headerLength;
    const need = Math.min(size, 12);
    if (data.length - at < need) return false;
    const cluster = this.cluster!;
    if (cluster.timestamp === null) throw new EbmlError('block before its cluster timestamp');
    const tl = vintLength(data[at]!, 8);
    if (size < tl + 3) throw new EbmlError('block too short');
    let track = data[at]! & (0xff >> tl);
    for (let k = 1; k < tl; k++) track = track * 256 + data[at + k]!;
    const time = cluster.timestamp + data.readInt16BE(at + tl);
    const keyframe = simple && (data[at + tl + 2]! & 0x80) !== 0;
    const clock = this.clocks.get(track);
    if (!clock) this.clocks.set(track, { last: time, gap: 0 });
    else if (time > clock.last) {
      clock.gap = time - clock.last;
      clock.last = time;
    }
    if (!cluster.cued && track === this.cueTrack && keyframe) {
      this.cues.push({ time, clusterOffset: cluster.offset });
      cluster.cued = true;
    }
    return true;
  }
}
