/**
 * Seekable WebM over real HTTP: live-shaped streams (ffmpeg, tests/support/webm-fixtures.ts) cut
 * at arbitrary byte positions, uploaded, finalized. Completion answers with the chunks digest; the
 * after-completion job then records the recorded digest, the layout (Duration and Cues in a
 * served head) and the served digest — the tests wait on those fields, then check the served
 * file with ffprobe and mkvinfo and every digest against the bytes recorded and served.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { cutStream, ffprobeDuration, liveWebm, mkvinfoCuePoints } from '../support/webm-fixtures.ts';
import { client, sha256, shuffle, uploadAll, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

let server: TestServer;
let c: Client;
const dir = mkdtempSync(join(tmpdir(), 'outbox-seekable-http-'));

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('sam'));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function record(chunks: Buffer[], order?: number[], opts: { allowPartial?: boolean; skip?: number[] } = {}) {
  const id = (await c.init({ mimeType: 'video/webm;codecs=vp8,opus' })).json.sessionId as string;
  const indices = (order ?? chunks.map((_, i) => i)).filter((i) => !opts.skip?.includes(i));
  await uploadAll(c, id, chunks, indices);
  const fin = await c.finalize({ sessionId: id, totalChunks: chunks.length, allowPartial: opts.allowPartial });
  expect(fin.json.status).toBe('complete');
  const held = chunks.filter((_, i) => !opts.skip?.includes(i));
  // Known at completion, from the chunk rows: what the client compares end to end.
  expect(fin.json.chunksDigest).toBe(await chunksDigestHex(held.map(sha256)));
  // The recorded digest is null at completion or, if already known, right — never anything else.
  expect([null, sha256(Buffer.concat(held))]).toContain(fin.json.sha256);
  return { id, fin: fin.json, st: await settledStatus(c, id) };
}

async function served(id: string, name: string): Promise<{ bytes: Buffer; file: string }> {
  const res = await c.file(id);
  expect(res.status).toBe(200);
  const file = join(dir, name);
  writeFileSync(file, res.bytes);
  return { bytes: res.bytes, file };
}

describe('seekable WebM after completion', () => {
  it('serves a 60 s Chromium-shaped recording with a duration and Cues, and every digest honest', async () => {
    const stream = await liveWebm(60);
    const chunks = cutStream(stream, 30, 5);
    const { id, fin, st } = await record(chunks);
    expect(st).toMatchObject({ seekable: true, sha256: sha256(stream), recordedSha256: sha256(stream), chunksDigest: fin.chunksDigest, bytes: stream.length });
    expect(Math.abs(st.durationMs - 60_000)).toBeLessThan(500);

    const { bytes, file } = await served(id, 'chromium-60.webm');
    expect(bytes.equals(stream)).toBe(false);
    expect(Math.abs((await ffprobeDuration(file)) - 60)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBe(12);
    expect(st.fileSha256).toBe(sha256(bytes));

    const listed = (await c.list()).json.videos.find((v: { videoId: string }) => v.videoId === id);
    expect(listed).toMatchObject({ seekable: true, durationMs: st.durationMs, fileSha256: st.fileSha256 });

    // Ranges across the head / recorded boundary map onto the served bytes.
    for (const [a, b] of [[0, 99], [100, 5000], [bytes.length - 10, bytes.length - 1]] as const) {
      const part = await c.file(id, `bytes=${a}-${b}`);
      expect(part.status).toBe(206);
      expect(part.bytes.equals(bytes.subarray(a, b + 1))).toBe(true);
    }
  });

  it('makes a Firefox-shaped stream (Duration 0) seekable, chunks arriving out of order', async () => {
    const stream = await liveWebm(12, 'firefox');
    const chunks = cutStream(stream, 8, 9);
    const { id, st } = await record(chunks, shuffle(chunks.map((_, i) => i)));
    expect(st).toMatchObject({ seekable: true, sha256: sha256(stream) });
    const { bytes, file } = await served(id, 'firefox.webm');
    expect(st.fileSha256).toBe(sha256(bytes));
    expect(Math.abs((await ffprobeDuration(file)) - 12)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBe(3);
  });

  it('gives a partial recording a duration and Cues for what is before its first gap', async () => {
    const stream = await liveWebm(60);
    const chunks = cutStream(stream, 30, 5);
    const { id, fin, st } = await record(chunks, undefined, { allowPartial: true, skip: [20] });
    expect(fin).toMatchObject({ partial: true, missing: [[20, 20]] });
    expect(st).toMatchObject({ partial: true, seekable: true, sha256: sha256(Buffer.concat(chunks.filter((_, i) => i !== 20))) });
    expect(st.durationMs).toBeGreaterThan(30_000);
    expect(st.durationMs).toBeLessThan(50_000);
    const { bytes, file } = await served(id, 'partial.webm');
    expect(st.fileSha256).toBe(sha256(bytes));
    expect(Math.abs((await ffprobeDuration(file)) - st.durationMs / 1000)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBeGreaterThan(5);
  });

  it('lays out a recording uploaded across a server restart, and has every digest after a stop right at completion', async () => {
    const stream = await liveWebm(12);
    const chunks = cutStream(stream, 8, 13);
    const first = await startTestServer({ keepDataDir: true });
    const token = await first.createUser('rita');
    const c1 = client(first.url, token);
    const id = (await c1.init()).json.sessionId as string;
    const half = Math.floor(chunks.length / 2);
    await uploadAll(c1, id, chunks, chunks.map((_, i) => i).slice(0, half));
    await first.stop();
    const second = await startTestServer({ dataDir: first.dataDir, keepDataDir: true });
    const c2 = client(second.url, token);
    await uploadAll(c2, id, chunks, chunks.map((_, i) => i).slice(half));
    const fin = (await c2.finalize({ sessionId: id, totalChunks: chunks.length })).json;
    expect(fin).toMatchObject({ status: 'complete', chunksDigest: await chunksDigestHex(chunks.map(sha256)) });
    // Stopped right after completion: whatever the job had done by then, the next start finishes it.
    await second.stop();
    const third = await startTestServer({ dataDir: first.dataDir });
    try {
      const c3 = client(third.url, token);
      const st = await settledStatus(c3, id);
      expect(st).toMatchObject({ seekable: true, sha256: sha256(stream) });
      expect(Math.abs(st.durationMs - 12_000)).toBeLessThan(500);
      const servedBytes = (await c3.file(id)).bytes;
      expect(st.fileSha256).toBe(sha256(servedBytes));
      expect(st.fileSha256).not.toBe(sha256(stream));
    } finally {
      await third.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
