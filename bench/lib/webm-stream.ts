/**
 * Real WebM content for the stop-to-link bench: a live-shaped minute from ffmpeg
 * (tests/support/webm-fixtures.ts) repeated with shifted cluster timestamps into a recording of
 * any length, cut into exactly n chunks at arbitrary byte positions (as MediaRecorder's
 * timeslice cuts clusters anywhere), each hashed once up front.
 */
import { createHash } from 'node:crypto';
import { readElementHeader, uintElement8 } from '../../src/server/webm/ebml.ts';
import { ID } from '../../src/server/webm/ids.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { liveWebm } from '../../tests/support/webm-fixtures.ts';
import type { Chunk } from './chunks.ts';

const MINUTE_MS = 60_000;

/** Splits the live stream into its header and clusters (each: timestamp + the rest of its bytes). */
function parse(minute: Buffer): { header: Buffer; clusters: { timestamp: number; body: Buffer }[] } {
  const firstCluster = minute.indexOf(Buffer.from('1f43b675', 'hex'));
  const clusters: { timestamp: number; body: Buffer }[] = [];
  let at = firstCluster;
  while (at < minute.length) {
    const next = minute.indexOf(Buffer.from('1f43b675', 'hex'), at + 4);
    const end = next < 0 ? minute.length : next;
    const h = readElementHeader(minute, at)!;
    const ts = readElementHeader(minute, at + h.headerLength)!;
    if (ts.id !== ID.Timestamp) throw new Error('cluster without a leading Timestamp');
    const tsStart = at + h.headerLength;
    const tsData = minute.subarray(tsStart + ts.headerLength, tsStart + ts.headerLength + ts.size!);
    clusters.push({ timestamp: tsData.readUIntBE(0, tsData.length), body: minute.subarray(tsStart + ts.headerLength + ts.size!, end) });
    at = end;
  }
  return { header: minute.subarray(0, firstCluster), clusters };
}

/** A live-shaped stream of `seconds` (a multiple of 60). */
export async function longStream(seconds: number): Promise<Buffer> {
  const { header, clusters } = parse(await liveWebm(60));
  const parts = [header];
  for (let k = 0; k < seconds / 60; k++) {
    for (const c of clusters) {
      // Unknown size (0xFF), then an 8-byte Timestamp so any offset fits.
      parts.push(Buffer.from('1f43b675ff', 'hex'), uintElement8(ID.Timestamp, c.timestamp + k * MINUTE_MS), c.body);
    }
  }
  return Buffer.concat(parts);
}

/** Exactly `n` chunks, boundaries jittered by up to ±25 % of the mean size (seeded). */
export function cutExactly(bytes: Buffer, n: number, seed = 7): Chunk[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const mean = bytes.length / n;
  const cuts = [0];
  for (let i = 1; i < n; i++) cuts.push(Math.floor(i * mean + (rand() - 0.5) * mean * 0.5));
  cuts.push(bytes.length);
  return cuts.slice(0, -1).map((start, i) => {
    const b = bytes.subarray(start, cuts[i + 1]);
    const sha256 = createHash('sha256').update(b).digest('hex');
    return { bytes: b, sha256, contentDigest: formatContentDigest(sha256) };
  });
}

