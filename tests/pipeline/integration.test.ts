/**
 * The pipeline in Node against the real server over HTTP on 127.0.0.1, through the
 * fault-injecting proxy (random resets mid-request and mid-answer, latency, a refusal window,
 * a reset part-way into a chunk body). Real time here, kept short: small chunks, 100 ms backoff.
 * Scale with OUTBOX_IT_CHUNKS / OUTBOX_IT_CHUNK_BYTES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { ROUTES } from '../../src/shared/api.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { openOutbox, type Outbox } from '../../src/shared/outbox/store.ts';
import { createHttpTransport } from '../../src/sw/pipeline/http-transport.ts';
import { UploadPipeline } from '../../src/sw/pipeline/pipeline.ts';
import { DrainScheduler } from '../../src/sw/drain-scheduler.ts';
import { chunkStats } from '../../src/app/analytics/analytics.ts';
import { systemClock } from '../../src/sw/pipeline/ports.ts';
import { mulberry32, startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { FakeConnectivity, recordingLogger } from './fakes.ts';

const N = Number(process.env.OUTBOX_IT_CHUNKS ?? 100);
const SIZE = Number(process.env.OUTBOX_IT_CHUNK_BYTES ?? 16_384);
const REC = '3d1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

let server: TestServer;
let proxy: FaultProxy;
let token: string;

beforeAll(async () => {
  server = await startTestServer();
  token = await server.createUser('integration');
  proxy = await startFaultProxy({ target: server.url, seed: 42, faults: { failRate: 0.12, failWindowBytes: SIZE, latencyMs: 1 } });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

async function makePipeline(outbox: Outbox) {
  const logger = recordingLogger();
  const pipeline = new UploadPipeline({
    outbox,
    transport: createHttpTransport({ baseUrl: proxy.url, getToken: () => outbox.getToken(), timeoutMs: 5_000 }),
    clock: systemClock,
    connectivity: new FakeConnectivity(true),
    logger,
    random: mulberry32(7),
  });
  return { pipeline, logger };
}

describe('pipeline against the real server through a faulty network', () => {
  it(`delivers ${N} chunks exactly once and the assembled video has the local SHA-256`, async () => {
    const outbox = await openOutbox({ indexedDB: new IDBFactory() });
    await outbox.setToken(token);
    await outbox.saveSettings({ backoffBaseMs: 100, maxAttempts: 10, jitterRatio: 0.2 });
    await outbox.createRecording({ id: REC, mimeType: 'video/webm;codecs=vp9' });
    const local = createHash('sha256');
    const { pipeline, logger } = await makePipeline(outbox);

    // Upload while recording, as the app does: drain after every few chunks.
    // Drain requests go through the host's coalescer, as in the worker.
    const scheduler = new DrainScheduler((reason) => pipeline.drain(reason), null, () => pipeline.nudge());
    const drains: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      const bytes = randomBytes(SIZE);
      local.update(bytes);
      await outbox.addChunk(REC, i, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      if (i % 10 === 9) drains.push(scheduler.request('chunk-added'));
      if (i === Math.floor(N / 2)) {
        // A short outage the device does not notice (navigator.onLine stays true): refused connections.
        proxy.set({ refuse: true });
        setTimeout(() => proxy.set({ refuse: false }), 250);
      }
      if (i === Math.floor(N / 3)) proxy.set({ resetAfterBytes: Math.floor(SIZE / 2) });
      if (i === Math.floor(N / 3) + 3) proxy.set({ resetAfterBytes: null });
    }
    await Promise.all(drains);
    await outbox.stopRecording(REC, N);
    let outcome = await scheduler.request('stopped');
    // A chunk unlucky enough to spend every attempt is not given up: the next drain completes it.
    for (let i = 0; i < 3 && (outcome.failed > 0 || !outcome.done); i++) outcome = await scheduler.request('again');
    expect(outcome).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });

    const rec = (await outbox.getRecording(REC))!;
    const localSha = local.digest('hex');
    expect(rec.state).toBe('complete');
    expect(rec.serverSize).toBe(N * SIZE);

    // The server's own view: every index held once, and the file it serves has our bytes.
    const status = await fetch(`${server.url}${ROUTES.video(rec.videoId!)}`, { headers: { authorization: `Bearer ${token}` } });
    const st = (await status.json()) as { receivedChunks: number; chunks: number[][]; missing: number[]; state: string; chunksDigest?: string | null };
    expect(st).toMatchObject({ receivedChunks: N, chunks: [[0, N - 1]], missing: [], state: 'complete' });
    // The check that released nothing unproven: the chunks digest where the server sends one
    // (computed here from the chunks' own SHA-256s), else the whole recording's SHA-256.
    const chunkShas = (await outbox.listChunks(REC)).map((c) => c.sha256);
    expect(rec.completionCheck).toEqual(
      st.chunksDigest ? { by: 'chunks-digest', digest: await chunksDigestHex(chunkShas) } : { by: 'sha256', digest: localSha },
    );
    const file = await fetch(`${server.url}${ROUTES.file(rec.videoId!)}`, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await file.arrayBuffer());
    expect(body.length).toBe(N * SIZE);
    expect(createHash('sha256').update(body).digest('hex')).toBe(localSha);

    const stats = proxy.stats();
    const retries = logger.events('chunk-retry').length;
    const analytics = chunkStats(await outbox.listChunks(REC));
    console.log(
      JSON.stringify({ chunks: N, chunkBytes: SIZE, proxyResets: stats.resets, connections: stats.connections, retries, duplicates: logger.events('chunk-uploaded').filter((e) => e.fields.duplicate).length, analytics }),
    );
    // The faults really happened, and were survived.
    expect(stats.resets).toBeGreaterThan(0);
    expect(retries).toBeGreaterThan(0);
    outbox.close();
  });
});
