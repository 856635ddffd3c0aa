/**
 * The per-video append journal of the filesystem blob store: one fixed-size record per chunk
 * appended to the assembled file — (index, offset, size, SHA-256 of those bytes), fsynced
 * together with the assembled file before the metadata commit that records the append. Why it
 * exists and how recovery uses it: docs/API.md "Durability and recovery".
 *
 * A record torn by a crash fails the magic check or the hash check and ends the re-adoption;
 * the assembled file is then truncated to what was verified.
 */
import { Buffer } from 'node:buffer';

export interface AppendRecord {
  index: number;
  /** Where the chunk's bytes start in the assembled file. */
  offset: number;
  size: number;
  /** Lowercase hex SHA-256 of the chunk's bytes. */
  sha256: string;
}

export const RECORD_BYTES = 64;
const MAGIC = 0x4f424a31; // "OBJ1"

export function encodeRecord(r: AppendRecord): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt32BE(r.index, 4);
  b.writeBigUInt64BE(BigInt(r.offset), 8);
  b.writeBigUInt64BE(BigInt(r.size), 16);
  b.write(r.sha256, 24, 32, 'hex');
  return b;
}

/** Decodes whole records up to the first malformed one (a torn tail ends the list). */
export function decodeRecords(buf: Buffer): AppendRecord[] {
  const out: AppendRecord[] = [];
  for (let at = 0; at + RECORD_BYTES <= buf.length; at += RECORD_BYTES) {
    if (buf.readUInt32BE(at) !== MAGIC) break;
    out.push({
      index: buf.readUInt32BE(at + 4),
      offset: Number(buf.readBigUInt64BE(at + 8)),
      size: Number(buf.readBigUInt64BE(at + 16)),
      sha256: buf.toString('hex', at + 24, at + 56),
    });
  }
  return out;
}
