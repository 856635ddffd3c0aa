/**
 * Crash safety soak: the real server process is killed with SIGKILL at a random
 * moment while several recordings upload concurrently (and some finalize), then restarted on the
 * same data directory — FAULT_KILLS times (default 50).
 *
 * After every restart:
 *  - every chunk the server had confirmed (2xx, or listed as held by status) is still held;
 *  - a video confirmed complete stays complete with the same SHA-256.
 * At the end every video is completed by uploading what status says is missing, downloaded,
 * and compared byte for byte with what was recorded — so a chunk reported as held with wrong
 * bytes, or stored twice, cannot go unnoticed. tests/server/crash.test.ts covers a few kills of
 * one video; this is the soak.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRanges } from '../../src/shared/ranges.ts';
import { mulberry32 } from '../support/fault-proxy.ts';
import { recordReliabilityCase } from '../support/reliability-report.ts';
import { chunksDigestOf, client, sha256 } from '../server/helpers.ts';
import { bundleServer, startServerChild, type ServerChild } from './support/server-child.ts';

const KILLS = Number(process.env.FAULT_KILLS ?? 50);
const ACTIVE_SESSIONS = 3;
const CHUNKS_PER_VIDEO = 10;
const WORKERS = 4;

interface Recording {
  id: string;
  chunks: Buffer[];
  /** Indices the server promised to hold (a 2xx answer, or listed by status). */
  confirmed: Set<number>;
  /** Set once the server answered finalize `complete`. */
  completeDigest: string | null;
}

const SEED = Number(process.env.FAULT_SEED ?? 20251125);
// Deterministic (mulberry32), so a failing run can be replayed with FAULT_SEED.
const random = mulberry32(SEED);

function makeRecordingBytes(): Buffer[] {
  return Array.from({ length: CHUNKS_PER_VIDEO }, () => {
    const size = 32 * 1024 + Math.floor(random() * 96 * 1024);
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4) b.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(i, size - 4));
    return b;
  });
}

let server: ServerChild;
let token: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outbox-faults-kill-'));
  server = await startServerChild({ bundle: await bundleServer(), dataDir });
  token = await server.createUser('soak');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.removeBundle();
  rmSync(dataDir, { recursive: true, force: true });
});

async function newRecording(): Promise<Recording> {
  const r = await client(server.url, token).init();
  expect(r.status).toBe(201);
  return { id: r.json.sessionId, chunks: makeRecordingBytes(), confirmed: new Set(), completeDigest: null };
}

/** Checks the server's promises after a restart and returns which indices it holds. */
async function checkPromises(rec: Recording): Promise<Set<number>> {
  const st = (await client(server.url, token).status(rec.id)).json;
  if (rec.completeDigest !== null) {
    expect(st.state).toBe('complete');
    expect(st.chunksDigest).toBe(rec.completeDigest);
  }
  const held = new Set(fromRanges(st.chunks));
  const lost = [...rec.confirmed].filter((i) => !held.has(i));
  expect(lost, `confirmed chunks of ${rec.id} lost after a kill`).toEqual([]);
  for (const i of held) {
    expect(i).toBeLessThan(CHUNKS_PER_VIDEO);
    rec.confirmed.add(i);
  }
  if (st.state === 'complete') rec.completeDigest = st.chunksDigest;
  return held;
}

type Task = { rec: Recording; kind: 'chunk'; index: number } | { rec: Recording; kind: 'finalize' };

/** Runs tasks with WORKERS parallel requests until done or the server dies; counts requests in flight. */
function runTasks(tasks: Task[], inFlight: { n: number }): Promise<void> {
  const c = client(server.url, token);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const t = tasks[next++]!;
      inFlight.n++;
      try {
        if (t.kind === 'chunk') {
          const a = await c.chunk(t.rec.id, t.index, t.rec.chunks[t.index]!);
          if (a.status === 200 || a.status === 201) t.rec.confirmed.add(t.index);
          else throw new Error(`chunk ${t.index} answered ${a.status} ${JSON.stringify(a.json)}`);
        } else {
          const a = await c.finalize({ sessionId: t.rec.id, totalChunks: CHUNKS_PER_VIDEO });
          if (a.status !== 200) throw new Error(`finalize answered ${a.status} ${JSON.stringify(a.json)}`);
          if (a.json.status === 'complete') t.rec.completeDigest = a.json.chunksDigest;
        }
      } catch (err) {
        // The kill resets the connection (fetch rejects with a TypeError); any HTTP answer is real.
        if (!(err instanceof TypeError)) throw err;
        return;
      } finally {
        inFlight.n--;
      }
    }
  };
  return Promise.all(Array.from({ length: WORKERS }, worker)).then(() => undefined);
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('kill -9 soak', () => {
  it(`loses nothing confirmed and completes every video across ${KILLS} kills`, async () => {
    const started = Date.now();
    const all: Recording[] = [];
    let active: Recording[] = [];
    let killsDuringRequests = 0;
    let restartMs = 0;
    let roundMsEstimate = 300;

    for (let k = 0; k < KILLS; k++) {
      while (active.length < ACTIVE_SESSIONS) {
        const rec = await newRecording();
        all.push(rec);
        active.push(rec);
      }
      const tasks: Task[] = [];
      for (const rec of active) {
        const held = await checkPromises(rec);
        if (held.size === CHUNKS_PER_VIDEO) tasks.push({ rec, kind: 'finalize' });
        else for (const index of rec.chunks.keys()) if (!held.has(index)) tasks.push({ rec, kind: 'chunk', index });
      }
      const inFlight = { n: 0 };
      const roundStart = Date.now();
      let finishedAfterMs = 0;
      const work = runTasks(shuffled(tasks), inFlight).then(() => void (finishedAfterMs = Date.now() - roundStart));
      // The kill lands at a random moment within the time a round of uploads takes. That time
      // depends on the server's speed and the machine's load, so it is learnt from rounds that
      // finished before their kill instead of being a fixed constant.
      await new Promise((r) => setTimeout(r, Math.floor(random() * roundMsEstimate)));
      if (inFlight.n > 0) killsDuringRequests++;
      else if (finishedAfterMs > 0) roundMsEstimate = Math.max(5, finishedAfterMs * 0.9);
      await server.kill('SIGKILL');
      await work;
      const t0 = Date.now();
      await server.start();
      restartMs += Date.now() - t0;
      for (const rec of active) await checkPromises(rec);
      active = active.filter((r) => r.completeDigest === null);
    }

    // Drain without faults: upload what status says is missing, finalize, verify every byte.
    const c = client(server.url, token);
    let bytesRecorded = 0;
    let bytesStored = 0;
    let duplicatesStored = 0;
    let allMatch = true;
    for (const rec of all) {
      const held = await checkPromises(rec);
      for (const i of rec.chunks.keys()) if (!held.has(i)) expect((await c.chunk(rec.id, i, rec.chunks[i]!)).status).toBe(201);
      const fin = await c.finalize({ sessionId: rec.id, totalChunks: CHUNKS_PER_VIDEO });
      const whole = Buffer.concat(rec.chunks);
      expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestOf(rec.chunks), partial: false });
      const file = (await c.file(rec.id)).bytes;
      bytesRecorded += whole.length;
      bytesStored += file.length;
      if (file.length > whole.length) duplicatesStored++;
      const match = createHash('sha256').update(file).digest('hex') === sha256(whole) && file.equals(whole);
      allMatch &&= match;
      expect(match, `video ${rec.id} differs from what was recorded`).toBe(true);
    }
    expect(readdirSync(join(dataDir, 'tmp', 'incoming'))).toEqual([]);
    // Every kill happened while the server was running; most while requests were in flight.
    expect(server.starts).toBe(KILLS + 1);
    expect(killsDuringRequests).toBeGreaterThan(KILLS / 2);

    const durationMs = Date.now() - started;
    const notes =
      `${KILLS} kills (${killsDuringRequests} with requests in flight), ${all.length} videos, ` +
      `${WORKERS} parallel requests, mean restart ${Math.round(restartMs / Math.max(1, KILLS))} ms, seed ${SEED}`;
    console.log(`[server-kill-soak] ${notes}, ${(durationMs / 1000).toFixed(1)} s`);
    recordReliabilityCase({
      case: 'server-kill-soak',
      fault: `kill -9 of the server process ×${KILLS} at random moments during concurrent chunk writes and finalize, restart on the same data dir`,
      bytesRecorded,
      bytesStored,
      chunks: all.length * CHUNKS_PER_VIDEO,
      duplicatesStored,
      sha256Match: allMatch,
      durationMs,
      notes,
      env: { FAULT_KILLS: String(KILLS) },
    });
  }, 600_000);
});
