/**
 * The few EBML primitives (RFC 8794) the WebM modules need: reading an element header (ID and
 * size, both variable-length integers) from a buffer, and writing elements.
 *
 * Why hand-written: no maintained library parses a live MediaRecorder stream incrementally —
 * chunk by chunk, with clusters of unknown size that cross chunk boundaries. mediabunny's
 * Matroska demuxer reads from a random-access source and its EBML writer is not exported;
 * ts-ebml's decoder corrupts data in Node because it keeps views into pooled Buffers
 * (ts-ebml#55). What we need is ~100 lines of vint arithmetic, so we own it.
 */

/** Result of reading an element header; `size` null means "unknown size" (all value bits set). */
export interface ElementHeader {
  id: number;
  size: number | null;
  /** Bytes taken by the ID and the size. */
  headerLength: number;
}

/** Thrown for bytes that cannot be EBML; the caller keeps the stream as received. */
export class EbmlError extends Error {
  override name = 'EbmlError';
}

/** Length in bytes (1–max) of the vint whose first byte is `first`. */
export function vintLength(first: number, max: number): number {
  for (let len = 1; len <= max; len++) if (first & (0x80 >> (len - 1))) return len;
  throw new EbmlError(`invalid variable-length integer (first byte 0x${first.toString(16)})`);
}

/**
 * Reads the element header at `at`, or returns null when `buf` ends first. IDs are kept with
 * their marker bits (as the spec writes them: 0x1A45DFA3), sizes without.
 */
export function readElementHeader(buf: Uint8Array, at: number): ElementHeader | null {
  if (at >= buf.length) return null;
  const idLen = vintLength(buf[at]!, 4);
  if (at + idLen >= buf.length) return null;
  let id = 0;
  for (let i = 0; i < idLen; i++) id = id * 256 + buf[at + i]!;
  const s = at + idLen;
  const sizeLen = vintLength(buf[s]!, 8);
  if (s + sizeLen > buf.length) return null;
  let size = buf[s]! & (0xff >> sizeLen);
  let allOnes = size === 0xff >> sizeLen;
  for (let i = 1; i < sizeLen; i++) {
    const b = buf[s + i]!;
    if (b !== 0xff) allOnes = false;
    size = size * 256 + b;
  }
  if (allOnes) return { id, size: null, headerLength: idLen + sizeLen };
  if (!Number.isSafeInteger(size)) throw new EbmlError('element size beyond 2^53');
  return { id, size, headerLength: idLen + sizeLen };
}

/** Unsigned big-endian integer of 0–8 bytes (EBML uinteger). */
export function readUint(buf: Uint8Array): number {
  if (buf.length > 8) throw new EbmlError('uinteger longer than 8 bytes');
  let v = 0;
  for (const b of buf) v = v * 256 + b;
  return v;
}

/** Children of a master element held in memory, in order (start/end: offsets in `payload`). */
export function readChildren(payload: Buffer): { id: number; start: number; end: number; data: Buffer }[] {
  const out: { id: number; start: number; end: number; data: Buffer }[] = [];
  let at = 0;
  while (at < payload.length) {
    const h = readElementHeader(payload, at);
    if (!h || h.size === null || at + h.headerLength + h.size > payload.length) throw new EbmlError('child element overruns its parent');
    out.push({ id: h.id, start: at, end: at + h.headerLength + h.size, data: payload.subarray(at + h.headerLength, at + h.headerLength + h.size) });
    at += h.headerLength + h.size;
  }
  return out;
}

export function idBytes(id: number): Buffer {
  const len = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const b = Buffer.alloc(len);
  b.writeUIntBE(id, 0, len);
  return b;
}

/** A size vint of exactly `len` bytes (8 when a later patch must fit in place). */
export function sizeBytes(size: number, len?: number): Buffer {
  let n = len ?? 1;
  if (len === undefined) while (size >= 2 ** (7 * n) - 1) n++;
  if (size >= 2 ** (7 * n) - 1) throw new RangeError(`size ${size} does not fit ${n} bytes`);
  const b = Buffer.alloc(n);
  let v = size;
  for (let i = n - 1; i >= 0; i--) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
  b[0]! |= 0x80 >> (n - 1);
  return b;
}

export function element(id: number, payload: Buffer | readonly Buffer[], sizeLength?: number): Buffer {
  const parts = Buffer.isBuffer(payload) ? [payload] : payload;
  const len = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([idBytes(id), sizeBytes(len, sizeLength), ...parts]);
}

/** An unsigned integer element with a fixed 8-byte payload, so its length never depends on the value. */
export function uintElement8(id: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return element(id, b);
}

export function uintElement(id: number, value: number): Buffer {
  let len = 1;
  while (value >= 2 ** (8 * len)) len++;
  const b = Buffer.alloc(len);
  b.writeUIntBE(value, 0, len);
  return element(id, b);
}

export function floatElement(id: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return element(id, b);
}
