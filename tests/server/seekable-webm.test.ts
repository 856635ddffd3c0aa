/**
 * Seekable WebM over real HTTP: live-shaped streams (ffmpeg, tests/support/webm-fixtures.ts) cut
 * at arbitrary byte positions, uploaded, finalized; the served file is checked with ffprobe and
 * mkvinfo, the digests against the bytes recorded and served.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { cutStream, ffprobeDuration, liveWebm, mkvinfoCuePoints } from '../support/webm-fixtures.ts';
import { client, sha256, shuffle, uploadAll, type Client } from './helpers.ts';

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
  return { id, fin: fin.json };
}

async function served(id: string, name: string): Promise<{ bytes: Buffer; file: string }> {
  const res = await c.file(id);
  expect(res.status).toBe(200);
  const file = join(dir, name);
  writeFileSync(file, res.bytes);
  return { bytes: res.bytes, file };
}

/** Polls the status (a condition, not a clock) until the served digest is there. */
async function fileSha256(id: string): Promise<string> {
  for (let i = 0; i < 20_000; i++) {
    const st = (await c.status(id)).json;
    if (st.fileSha256) return st.fileSha256 as string;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('fileSha256 never appeared');
}

describe('seekable WebM at finalize', () => {
  it('serves a 60 s Chromium-shaped recording with a duration and Cues, and both digests honest', async () => {
    const stream = await liveWebm(60);
    const chunks = cutStream(stream, 30, 5);
    const { id, fin } = await record(chunks);
    expect(fin).toMatchObject({ seekable: true, sha256: sha256(stream), recordedSha256: sha256(stream), size: stream.length });
    expect(Math.abs(fin.durationMs - 60_000)).toBeLessThan(500);

    const { bytes, file } = await served(id, 'chromium-60.webm');
    expect(bytes.equals(stream)).toBe(false);
    expect(Math.abs((await ffprobeDuration(file)) - 60)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBe(12);
    expect(await fileSha256(id)).toBe(sha256(bytes));

    const st = (await c.status(id)).json;
    expect(st).toMatchObject({ seekable: true, durationMs: fin.durationMs, sha256: sha256(stream) });
    const listed = (await c.list()).json.videos.find((v: { videoId: string }) => v.videoId === id);
    expect(listed).toMatchObject({ seekable: true, durationMs: fin.durationMs });

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
    const { id, fin } = await record(chunks, shuffle(chunks.map((_, i) => i)));
    expect(fin.seekable).toBe(true);
    const { file } = await served(id, 'firefox.webm');
    expect(Math.abs((await ffprobeDuration(file)) - 12)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBe(3);
  });

  it('gives a partial recording a duration and Cues for what is before its first gap', async () => {
    const stream = await liveWebm(60);
    const chunks = cutStream(stream, 30, 5);
    const { id, fin } = await record(chunks, undefined, { allowPartial: true, skip: [20] });
    expect(fin).toMatchObject({ partial: true, seekable: true, missing: [[20, 20]] });
    const recorded = Buffer.concat(chunks.filter((_, i) => i !== 20));
    expect(fin.sha256).toBe(sha256(recorded));
    expect(fin.durationMs).toBeGreaterThan(30_000);
    expect(fin.durationMs).toBeLessThan(50_000);
    const { file } = await served(id, 'partial.webm');
    expect(Math.abs((await ffprobeDuration(file)) - fin.durationMs / 1000)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(file)).toBeGreaterThan(5);
  });

  it('indexes across a server restart (the index is rebuilt from the assembled bytes)', async () => {
    const stream = await liveWebm(12);
    const chunks = cutStream(stream, 8, 13);
    const first = await startTestServer({ keepDataDir: true });
    const token = await first.createUser('rita');
    const c1 = client(first.url, token);
    const id = (await c1.init()).json.sessionId as string;
    const half = Math.floor(chunks.length / 2);
    await uploadAll(c1, id, chunks, chunks.map((_, i) => i).slice(0, half));
    await first.stop();
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      const c2 = client(second.url, token);
      await uploadAll(c2, id, chunks, chunks.map((_, i) => i).slice(half));
      const fin = (await c2.finalize({ sessionId: id, totalChunks: chunks.length })).json;
      expect(fin).toMatchObject({ status: 'complete', seekable: true, sha256: sha256(stream) });
      expect(Math.abs(fin.durationMs - 12_000)).toBeLessThan(500);
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });

  it('computes the served digest after a restart when the server stopped before it', async () => {
    const stream = await liveWebm(12);
    const chunks = cutStream(stream, 4, 17);
    const first = await startTestServer({ keepDataDir: true });
    const token = await first.createUser('lee');
    const c1 = client(first.url, token);
    const id = (await c1.init()).json.sessionId as string;
    await uploadAll(c1, id, chunks);
    const fin = (await c1.finalize({ sessionId: id, totalChunks: chunks.length })).json;
    expect(fin).toMatchObject({ seekable: true, fileSha256: null });
    await first.stop(); // before the served digest's delay elapsed
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      const c2 = client(second.url, token);
      const served = (await c2.file(id)).bytes;
      let digest: string | null = null;
      for (let i = 0; i < 20_000 && !digest; i++) digest = (await c2.status(id)).json.fileSha256;
      expect(digest).toBe(sha256(served));
      expect(digest).not.toBe(sha256(stream));
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
