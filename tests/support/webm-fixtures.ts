/**
 * WebM streams shaped like MediaRecorder's, made by Debian's ffmpeg from a test source and cached
 * in memory for the run: Segment and Clusters of unknown size, no Cues, no SeekHead; the
 * Chromium shape has no Duration, the Firefox shape a Duration of 0 (DESIGN.md "WebM from
 * MediaRecorder"). ffmpeg's `-live 1` writes sized clusters; we rewrite each size to "unknown"
 * of the same width, so the stream is byte-for-byte what a live muxer would send.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { element, floatElement, readChildren, readElementHeader } from '../../src/server/webm/ebml.ts';
import { ID } from '../../src/server/webm/ids.ts';

const run = promisify(execFile);
const made = new Map<string, Promise<Buffer>>();

/**
 * ffmpeg writes to its stdout: in live mode the WebM muxer never seeks back, so the bytes are
 * the same as a file's, and nothing is left in /tmp (vitest ends its workers without the
 * process 'exit' event a temp-dir cleanup would need).
 */
async function encode(seconds: number): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '30k', '-g', '25',
    '-c:a', 'libopus', '-b:a', '16k',
    '-f', 'webm', '-live', '1', '-cluster_time_limit', '2000', 'pipe:1',
  ], { timeout: 300_000, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

/** Re-lays ffmpeg's file as a live stream of the given browser's shape. */
function reshape(file: Buffer, shape: 'chromium' | 'firefox'): Buffer {
  const ebml = readElementHeader(file, 0)!;
  const ebmlEnd = ebml.headerLength + ebml.size!;
  const seg = readElementHeader(file, ebmlEnd)!;
  const parts: Buffer[] = [file.subarray(0, ebmlEnd), Buffer.from('18538067' + '01ffffffffffffff', 'hex')];
  let at = ebmlEnd + seg.headerLength;
  while (at < file.length) {
    const h = readElementHeader(file, at)!;
    const end = at + h.headerLength + h.size!;
    if (h.id === ID.Info) {
      const payload = file.subarray(at + h.headerLength, end);
      const kept = readChildren(payload).filter((c) => c.id !== ID.Duration).map((c) => payload.subarray(c.start, c.end));
      parts.push(element(ID.Info, shape === 'firefox' ? [...kept, floatElement(ID.Duration, 0)] : kept));
    } else if (h.id === ID.Tracks) {
      parts.push(file.subarray(at, end));
    } else if (h.id === ID.Cluster) {
      const sizeLength = h.headerLength - 4;
      const unknown = Buffer.alloc(sizeLength, 0xff);
      unknown[0] = 0xff >> (sizeLength - 1);
      parts.push(file.subarray(at, at + 4), unknown, file.subarray(at + h.headerLength, end));
    }
    at = end;
  }
  return Buffer.concat(parts);
}

/** A live-shaped WebM stream of `seconds` (5 fps 64×48 VP8 + Opus), cached per run. */
export function liveWebm(seconds: number, shape: 'chromium' | 'firefox' = 'chromium'): Promise<Buffer> {
  const key = `${seconds}/${shape}`;
  let p = made.get(key);
  if (!p) {
    let src = made.get(`${seconds}/src`);
    if (!src) made.set(`${seconds}/src`, (src = encode(seconds)));
    p = src.then((f) => reshape(f, shape));
    made.set(key, p);
  }
  return p;
}

/**
 * Cuts a stream into about `n` chunks at arbitrary byte positions (a seeded PRNG), as
 * MediaRecorder's timeslice does: clusters and element headers are split anywhere.
 */
export function cutStream(bytes: Buffer, n: number, seed = 1): Buffer[] {
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const avg = bytes.length / n;
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const len = Math.max(1, Math.round(avg * (0.5 + rand())));
    out.push(bytes.subarray(at, Math.min(bytes.length, at + len)));
    at += len;
  }
  return out;
}

export async function ffprobeDuration(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { timeout: 60_000 });
  return Number(stdout.trim());
}

export async function mkvinfoCuePoints(file: string): Promise<number> {
  const { stdout } = await run('mkvinfo', ['-a', file], { timeout: 120_000, maxBuffer: 512 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l.includes('Cue point')).length;
}
