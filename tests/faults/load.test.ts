/**
 * Load: LOAD_RECORDINGS (50) simulated recordings upload at once through the
 * real API with Node's fetch, LOAD_CHUNKS (4) chunks of 625 KB each, like a real camera's 2 s
 * chunks. Zero errors, all complete, SHA-256 equal. Throughput and p95 latency are printed and
 * recorded, never asserted (speed belongs to bench/).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordReliabilityCase, storedDuplicates } from '../support/reliability-report.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { chunksDigestOf, client, sha256, type Client } from '../server/helpers.ts';

const RECORDINGS = Number(process.env.LOAD_RECORDINGS ?? 50);
const CHUNKS = Number(process.env.LOAD_CHUNKS ?? 4);
const CHUNK_BYTES = 625 * 1000;

let server: TestServer;
let c: Client;

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('load'));
});
afterAll(() => server.stop());

describe('load', () => {
  it(`${RECORDINGS} recordings × ${CHUNKS} chunks of 625 KB upload at once with zero errors`, async () => {
    // One shared pool of bytes, sliced per chunk with a unique prefix, keeps memory modest.
    const pool = randomBytes(CHUNK_BYTES);
    const chunkOf = (r: number, i: number) => Buffer.concat([Buffer.from(`${r}:${i}:`), pool.subarray(0, CHUNK_BYTES - 16)]);
    const latencies: number[] = [];
    const errors: string[] = [];
    const started = performance.now();

    const results = await Promise.all(
      Array.from({ length: RECORDINGS }, async (_, r) => {
        const init = await c.init({ title: `load ${r}` });
        if (init.status !== 201) errors.push(`init ${r}: ${init.status}`);
        const id = init.json.sessionId as string;
        const chunks: Buffer[] = [];
        for (let i = 0; i < CHUNKS; i++) {
          const bytes = chunkOf(r, i);
          chunks.push(bytes);
          const t0 = performance.now();
          const a = await c.chunk(id, i, bytes);
          latencies.push(performance.now() - t0);
          if (a.status !== 201) errors.push(`chunk ${r}/${i}: ${a.status} ${JSON.stringify(a.json)}`);
        }
        const fin = await c.finalize({ sessionId: id, totalChunks: CHUNKS });
        return { id, whole: Buffer.concat(chunks), digest: await chunksDigestOf(chunks), fin: fin.json };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(errors).toEqual([]);

    let bytesRecorded = 0;
    let bytesStored = 0;
    let duplicatesStored = 0;
    let allMatch = true;
    for (const { id, whole, digest, fin } of results) {
      expect(fin).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: digest });
      const file = (await c.file(id)).bytes;
      bytesRecorded += whole.length;
      bytesStored += file.length;
      duplicatesStored += storedDuplicates((await c.status(id)).json, whole.length);
      allMatch &&= sha256(file) === sha256(whole);
    }
    expect(allMatch).toBe(true);
    expect(bytesStored).toBe(bytesRecorded);
    expect(duplicatesStored).toBe(0);

    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
    const mbps = bytesRecorded / 1e6 / seconds;
    const notes = `${RECORDINGS} recordings × ${CHUNKS} chunks at once; ${mbps.toFixed(1)} MB/s; chunk p95 ${p95.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms (shared 2-core machine, not a benchmark)`;
    console.log(`[load] ${notes}; ${seconds.toFixed(1)} s`);
    recordReliabilityCase({
      case: 'load-50-recordings',
      fault: `${RECORDINGS} concurrent recordings uploading 625 KB chunks through the real API`,
      bytesRecorded,
      bytesStored,
      chunks: RECORDINGS * CHUNKS,
      duplicatesStored,
      sha256Match: allMatch,
      durationMs: seconds * 1000,
      notes,
      env: { LOAD_RECORDINGS: String(RECORDINGS), LOAD_CHUNKS: String(CHUNKS) },
    });
  }, 120_000);
});
