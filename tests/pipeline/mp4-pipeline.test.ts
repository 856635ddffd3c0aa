/**
 * Safari's MediaRecorder gives MP4, not WebM: fragmented MP4 (H.264/AAC) whose first timeslice
 * holds `ftyp` + `moov` + the first fragment and every later one a `moof` + `mdat` fragment. This
 * makes such a stream with Debian's ffmpeg from a test source (a keyframe, and so a fragment,
 * every 2 s), cuts it at fragment boundaries into the 2 s chunks Safari would deliver, and sends
 * them through the real pipeline (the code the worker runs) to the real server over HTTP. The
 * video must complete and be stored as received: the served file is byte-identical to the
 * fragmented MP4, and ffprobe reads it as MP4 of the source's length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { ROUTES } from '../../src/shared/api.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { openOutbox } from '../../src/shared/outbox/store.ts';
import { createHttpTransport } from '../../src/sw/pipeline/http-transport.ts';
import { UploadPipeline } from '../../src/sw/pipeline/pipeline.ts';
import { systemClock } from '../../src/sw/pipeline/ports.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { FakeConnectivity, recordingLogger } from './fakes.ts';

const SECONDS = Number(process.env.MP4_SECONDS ?? 8);
const REC = '5e1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
/** What Safari's MediaRecorder reports for camera + microphone. */
const SAFARI_MIME = 'video/mp4;codecs=avc1.42000a,mp4a.40.2';

let server: TestServer;
let token: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  token = await server.createUser('mp4');
  dir = mkdtempSync(join(tmpdir(), 'outbox-mp4-'));
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Top-level ISO BMFF boxes as [type, start, end) (ISO/IEC 14496-12 §4.2: 32-bit size, or 1 = 64-bit largesize). */
function topLevelBoxes(buf: Buffer): Array<{ type: string; start: number; end: number }> {
  const out = [];
  for (let at = 0; at < buf.length; ) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    if (size === 0) size = buf.length - at;
    out.push({ type, start: at, end: at + size });
    at += size;
  }
  return out;
}

/** Cuts a fragmented MP4 as Safari delivers it: init segment + first fragment, then one fragment per chunk. */
function safariChunks(mp4: Buffer): Buffer[] {
  const boxes = topLevelBoxes(mp4);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const [i, b] of boxes.entries()) {
    // A fragment ends at its mdat; the first chunk also carries ftyp and moov before it.
    if (b.type === 'mdat' && boxes[i - 1]?.type === 'moof') {
      chunks.push(mp4.subarray(start, b.end));
      start = b.end;
    }
  }
  if (start < mp4.length) chunks.push(mp4.subarray(start)); // a trailing mfra, if any
  return chunks;
}

describe('an MP4 recording (as Safari records) through the pipeline', () => {
  it('fragmented MP4 cut into 2 s chunks completes and is stored byte for byte as received', async () => {
    const file = join(dir, 'safari.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${SECONDS}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
      '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-force_key_frames', 'expr:gte(t,n_forced*2)',
      '-c:a', 'aac', '-b:a', '64k',
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', file,
    ]);
    const mp4 = readFileSync(file);
    const chunks = safariChunks(mp4);
    expect(topLevelBoxes(mp4).slice(0, 2).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(chunks.length).toBeGreaterThanOrEqual(SECONDS / 2);
    expect(Buffer.concat(chunks).equals(mp4)).toBe(true);

    const outbox = await openOutbox({ indexedDB: new IDBFactory() });
    await outbox.setToken(token);
    await outbox.createRecording({ id: REC, mimeType: SAFARI_MIME });
    for (const [i, c] of chunks.entries()) await outbox.addChunk(REC, i, c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer);
    await outbox.stopRecording(REC, chunks.length);

    const logger = recordingLogger();
    const pipeline = new UploadPipeline({
      outbox,
      transport: createHttpTransport({ baseUrl: server.url, getToken: () => outbox.getToken() }),
      clock: systemClock,
      connectivity: new FakeConnectivity(true),
      logger,
    });
    const started = Date.now();
    expect(await pipeline.drain('mp4')).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    const ms = Date.now() - started;

    const sha = createHash('sha256').update(mp4).digest('hex');
    const rec = (await outbox.getRecording(REC))!;
    expect(rec).toMatchObject({ state: 'complete', serverSize: mp4.length });

    const auth = { authorization: `Bearer ${token}` };
    // The recorded bytes' SHA-256 is computed after completion, off the stop-to-link path: wait
    // (bounded, on the status itself) until the server has filled it in.
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 20_000 && !status.sha256; i++) {
      status = (await (await fetch(`${server.url}${ROUTES.video(rec.videoId!)}`, { headers: auth })).json()) as Record<string, unknown>;
      if (!status.sha256) await new Promise((r) => setImmediate(r));
    }
    const digest = await chunksDigestHex(chunks.map((c) => createHash('sha256').update(c).digest('hex')));
    expect(rec.completionCheck).toEqual(status.chunksDigest ? { by: 'chunks-digest', digest } : { by: 'sha256', digest: sha });
    expect(status).toMatchObject({ state: 'complete', mimeType: SAFARI_MIME, receivedChunks: chunks.length, chunks: [[0, chunks.length - 1]], sha256: sha });
    const served = await fetch(`${server.url}${ROUTES.file(rec.videoId!)}`, { headers: auth });
    expect(served.headers.get('content-type')).toMatch(/^video\/mp4/);
    const body = Buffer.from(await served.arrayBuffer());
    expect(body.equals(mp4)).toBe(true);

    writeFileSync(join(dir, 'served.mp4'), body);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration', '-of', 'json', join(dir, 'served.mp4')], { encoding: 'utf8' });
    const format = (JSON.parse(probe) as { format: { format_name: string; duration: string } }).format;
    expect(format.format_name).toContain('mp4');
    expect(Number(format.duration)).toBeCloseTo(SECONDS, 0);
    console.info(`[mp4] ${chunks.length} chunks (${chunks.map((c) => c.length).join(', ')} B), ${mp4.length} B, complete in ${ms} ms; served file identical; ffprobe: ${format.format_name}, ${format.duration} s`);
    outbox.close();
  });
});
