/**
 * Never lose an upload to the remux: 50 malformed streams (not WebM, truncated, corrupt element
 * sizes, huge declared sizes, unknown sizes where none may be, garbage between clusters) each
 * complete, are served byte for byte as received with `seekable: false` once the
 * after-completion job decided it, and leave a warning in the log. And a complete video whose
 * output object is gone answers a clean 404 before any byte. Each case is built to be invalid by construction, from a valid stream and the frame
 * positions ffprobe reports (an independent parser).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { liveWebm } from '../support/webm-fixtures.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { client, sha256, uploadAll, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-hostile-'));
const logLines: string[] = [];
let app: FastifyInstance;
let c: Client;

beforeAll(async () => {
  const config = loadConfig({
    LOG_LEVEL: 'warn', OUTBOX_RATE_LIMIT: '1000000', PORT: '0', HOST: '127.0.0.1',
    OUTBOX_DATA_DIR: join(dir, 'data'), OUTBOX_STATIC_DIR: resolve(import.meta.dirname, '../../dist'),
  });
  const logStream = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
  app = buildServer(config, { logStream });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  c = client(`http://127.0.0.1:${addr.port}`, (await addUser(app.outbox.repo, 'mallory', Date.now())).token);
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Frame { pos: number; size: number }

async function frames(stream: Buffer): Promise<Frame[]> {
  const file = join(dir, 'base.webm');
  writeFileSync(file, stream);
  // csv columns come in ffprobe's field order: size, pos.
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'packet=pos,size', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n').map((l) => { const [size, pos] = l.split(',').map(Number); return { pos: pos!, size: size! }; })
    .sort((a, b) => a.pos - b.pos);
}

/** The SimpleBlock of a packet (ffprobe's pos is the block's data): [A3][size vint of L bytes][track][timestamp ×2][flags][frame…]. */
function blockSize(stream: Buffer, f: Frame): { at: number; length: number } | null {
  const dataStart = f.pos;
  for (let L = 1; L <= 8; L++) {
    const at = dataStart - L;
    if (stream[at - 1] === 0xa3 && stream[at]! >> (8 - L) === 1) return { at, length: L };
  }
  return null;
}

const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const edit = (b: Buffer, fn: (c: Buffer) => void) => { const c = Buffer.from(b); fn(c); return c; };

async function corpus(): Promise<[string, Buffer][]> {
  const base = await liveWebm(12);
  const fs = await frames(base);
  const firstCluster = base.indexOf(Buffer.from('1f43b675', 'hex'));
  const blocks = fs.map((f) => ({ f, s: blockSize(base, f) })).filter((x): x is { f: Frame; s: { at: number; length: number } } => x.s !== null);
  const rand = seeded(42);
  const cases: [string, Buffer][] = [];
  for (const n of [1, 7, 100, 4096, 65_536, 300_000]) cases.push([`random ${n} bytes`, Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)))]);
  cases.push(['MP4 (ftyp)', Buffer.concat([Buffer.from('0000001c6674797069736f6d0000020069736f6d69736f32', 'hex'), base.subarray(100, 5000)])]);
  cases.push(['PNG', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), base.subarray(0, 3000)])]);
  cases.push(['text', Buffer.from('hello, this is not a video\n'.repeat(50))]);
  cases.push(['EBML with another DocType', edit(base, (b) => b.write('mkvx', base.indexOf('webm'), 'latin1'))]);
  for (const k of [1, 4, 20, 40, 60, 100, 150, firstCluster - 1]) cases.push([`truncated in the header at ${k}`, base.subarray(0, k)]);
  for (const { f } of blocks.filter((x) => x.f.size >= 8).slice(-8)) cases.push([`truncated mid-frame at ${f.pos}`, base.subarray(0, f.pos + (f.size >> 1))]);
  for (const { f, s } of blocks.slice(5, 13)) cases.push([`invalid size vint at block ${f.pos}`, edit(base, (b) => void (b[s.at] = 0x00))]);
  for (const { f, s } of blocks.filter((x) => x.s.length >= 2).slice(-6)) {
    cases.push([`huge block size at ${f.pos}`, edit(base, (b) => { b[s.at] = (0xff >> s.length) - 1 + (0x80 >> (s.length - 1)); b.fill(0xff, s.at + 1, s.at + s.length); b[s.at + s.length - 1] = 0xfe; })]);
  }
  cases.push(['huge EBML header size', Buffer.concat([Buffer.from('1a45dfa3' + '0100ffffffffffff', 'hex'), base.subarray(12)])]);
  cases.push(['huge Tracks size', edit(base, (b) => { const t = b.indexOf(Buffer.from('1654ae6b', 'hex')); b.writeUInt8(0x01, t + 4); })]);
  for (const { f, s } of blocks.slice(20, 24)) cases.push([`unknown size on a block at ${f.pos}`, edit(base, (b) => { b.fill(0xff, s.at, s.at + s.length); b[s.at] = 0xff >> (s.length - 1); })]);
  const clusters: number[] = [];
  for (let at = base.indexOf(Buffer.from('1f43b675', 'hex')); at >= 0; at = base.indexOf(Buffer.from('1f43b675', 'hex'), at + 1)) clusters.push(at);
  for (const at of clusters.slice(1, 5)) cases.push([`garbage before the cluster at ${at}`, Buffer.concat([base.subarray(0, at), Buffer.alloc(9, 0), base.subarray(at)])]);
  return cases;
}

describe('malformed streams at finalize', () => {
  it('completes each of 50, serves its bytes exactly as received, seekable false, with a warning', { timeout: 180_000 }, async () => {
    const cases = await corpus();
    expect(cases).toHaveLength(50);
    for (const [name, bytes] of cases) {
      const id = (await c.init({ mimeType: 'video/webm' })).json.sessionId as string;
      const third = Math.max(1, Math.ceil(bytes.length / 3));
      const chunks = [0, 1, 2].map((k) => bytes.subarray(k * third, (k + 1) * third)).filter((b) => b.length > 0);
      await uploadAll(c, id, chunks);
      const fin = (await c.finalize({ sessionId: id, totalChunks: chunks.length })).json;
      expect(fin, name).toMatchObject({ status: 'complete', chunksDigest: await chunksDigestHex(chunks.map(sha256)) });
      const st = await settledStatus(c, id);
      expect(st, name).toMatchObject({ seekable: false, sha256: sha256(bytes), fileSha256: sha256(bytes), durationMs: null });
      const file = await c.file(id);
      expect(file.bytes.equals(bytes), name).toBe(true);
      expect(logLines.some((l) => l.includes('webm/served-as-recorded') && l.includes(id)), name).toBe(true);
    }
  });

  it('serves an MP4 recording as received (not WebM: never rewritten)', async () => {
    const bytes = Buffer.concat([Buffer.from('0000001c6674797069736f6d0000020069736f6d69736f32', 'hex'), Buffer.alloc(2000, 7)]);
    const id = (await c.init({ mimeType: 'video/mp4' })).json.sessionId as string;
    await uploadAll(c, id, [bytes]);
    expect((await c.finalize({ sessionId: id, totalChunks: 1 })).json).toMatchObject({ status: 'complete' });
    expect(await settledStatus(c, id)).toMatchObject({ seekable: false, sha256: sha256(bytes), fileSha256: sha256(bytes) });
    expect((await c.file(id)).bytes.equals(bytes)).toBe(true);
  });

  it('answers 404 before any byte for a complete video whose output object is gone', async () => {
    const stream = await liveWebm(12);
    const id = (await c.init({ mimeType: 'video/webm' })).json.sessionId as string;
    await uploadAll(c, id, [stream.subarray(0, 20_000), stream.subarray(20_000)]);
    await c.finalize({ sessionId: id, totalChunks: 2 });
    const st = await settledStatus(c, id);
    expect(st.seekable).toBe(true);
    await app.outbox.ctx.output.delete(id);
    for (const range of [undefined, 'bytes=0-', 'bytes=30000-30100']) {
      const res = await c.file(id, range);
      expect(res.status, range).toBe(404);
      expect(JSON.parse(res.bytes.toString()), range).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});
