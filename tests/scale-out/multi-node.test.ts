/**
 * Three server processes on one PostgreSQL database and one S3 bucket behind nginx
 * (docs/SCALE-OUT.md), as an operator runs them:
 * - SCALE_OUT_RECORDINGS (20) recordings, two of them > 5 MiB in 625 KB chunks (several multipart
 *   parts), uploaded through the proxy in random order with random per-recording concurrency, so
 *   chunks land on random nodes; one node is killed -9 once a third of the chunks are confirmed
 *   and restarted. Every video completes; its chunks digest is the client's; the served file is
 *   byte-identical to the recorded bytes and its SHA-256 (filled in after completion) equals
 *   theirs; PostgreSQL holds each index once with the recorded size and digest; no chunk object
 *   is left in the bucket once the outputs are written.
 * - The same chunk sent to two nodes at once (node ports, not the proxy): both 2xx, stored once.
 * - Different bytes for one index on two nodes at once: one stored, the other 409 chunk_conflict,
 *   and the loser's object is gone.
 * Synthetic (not WebM) bytes: the server serves them as recorded, never rewritten.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { client, sha256, shuffle, type Answer, type Client } from '../server/helpers.ts';
import { usePostgres } from '../support/postgres.ts';
import { startS3Counter, type S3Counter } from '../support/s3-counter.ts';
import { useS3 } from '../support/s3.ts';
import { startScaleOut, type ScaleOut } from '../support/scale-out.ts';

const RECORDINGS = Number(process.env.SCALE_OUT_RECORDINGS ?? 20);
const LARGE = Math.min(2, RECORDINGS);
/** A camera's 2 s chunk. */
const BIG_CHUNK = 625 * 1024;
/** 20 × 625 KiB = 12.5 MiB: two 5 MiB+ parts and a tail. */
const BIG_CHUNKS = 20;
/** A chunk key ends in `<index>-<sha256>` (ports.ts ChunkObjects). */
const CHUNK_KEY = /\d+-[0-9a-f]{64}$/;

const { cluster } = usePostgres();
const { s3 } = useS3();
let counter: S3Counter;
let lb: ScaleOut;
let token: string;
let c: Client;

beforeAll(async () => {
  counter = await startS3Counter(s3().settings.endpoint!);
  lb = await startScaleOut({ nodes: 3, databaseUrl: await cluster().freshDatabase(), s3: s3(), s3Endpoint: counter.endpoint });
  [token] = (await lb.createUser('multi')) as [string];
  c = client(lb.url, token);
}, 120_000);
// A node that crashed is hidden by nginx (it tries the next one): each test checks none did.
afterEach(() => {
  expect(lb.unexpectedExits()).toEqual([]);
});
afterAll(async () => {
  await lb?.stop();
  await counter?.stop();
});

const ok = (a: Answer) => a.status === 200 || a.status === 201;
/** What a client retries: the connection failed (node killed mid-request) or a 5xx (502 from nginx, 503 from a node). */
const retriable = (a: Answer | null) => a === null || a.status >= 500;

/** Sends until the answer is not retriable; bounded. A client's outbox retries the same way. */
async function untilAnswered(send: () => Promise<Answer>, what: string): Promise<Answer> {
  for (let attempt = 1; attempt <= 30; attempt++) {
    const a = await send().catch(() => null);
    if (!retriable(a)) return a!;
    // Backoff between retries of a failed request, as the client's pipeline does.
    await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
  }
  throw new Error(`${what}: no answer after 30 attempts`);
}

interface Recording {
  id: string;
  chunks: Buffer[];
}

function recordingBytes(r: number): Buffer[] {
  if (r < LARGE) return Array.from({ length: BIG_CHUNKS }, () => randomBytes(BIG_CHUNK));
  const n = 3 + Math.floor(Math.random() * 6);
  return Array.from({ length: n }, () => randomBytes(8_000 + Math.floor(Math.random() * 60_000)));
}

async function chunkRows(id: string): Promise<{ idx: number; size: number; sha256: string }[]> {
  return lb.sql('SELECT idx, size, sha256 FROM chunks WHERE video_id = $1 ORDER BY idx', [id]);
}

/** Polls until `check` returns a value, bounded: work that runs after completion on some node. */
/** Pending chunk rows (chunks wait in PostgreSQL for their multipart part by default on S3 + PostgreSQL). */
async function pendingRows(): Promise<{ video_id: string; idx: number; sha256: string }[]> {
  return lb.sql('SELECT video_id, idx, sha256 FROM chunk_bytes ORDER BY video_id, idx');
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

describe('three nodes on PostgreSQL + S3 behind nginx', () => {
  it(`${RECORDINGS} recordings through the proxy, a node killed -9 mid-upload and restarted: all complete, byte-identical, each index once`, async () => {
    const recordings: Recording[] = [];
    for (let r = 0; r < RECORDINGS; r++) {
      // One recordingId for every try: init is idempotent by it, as the client's is.
      const recordingId = randomUUID();
      const init = await untilAnswered(() => c.init({ recordingId, title: `multi ${r}` }), `init ${r}`);
      expect(init.status, JSON.stringify(init.json)).toBe(201);
      recordings.push({ id: init.json.sessionId as string, chunks: recordingBytes(r) });
    }
    const total = recordings.reduce((n, r) => n + r.chunks.length, 0);
    let confirmed = 0;
    let inFlight = 0;
    let killedAt: { confirmed: number; inFlight: number; afterKill: number } | null = null;
    let onThird: () => void = () => {};
    const third = new Promise<void>((resolve) => (onThird = resolve));
    const errors: string[] = [];

    const killer = (async () => {
      await third;
      killedAt = { confirmed, inFlight, afterKill: 0 };
      await lb.kill(1);
      killedAt.afterKill = confirmed;
      await lb.restart(1);
    })();

    await Promise.all(
      recordings.map(async (rec, r) => {
        const order = shuffle(rec.chunks.map((_, i) => i));
        const lanes = 1 + Math.floor(Math.random() * 3);
        await Promise.all(
          Array.from({ length: lanes }, async () => {
            for (let i = order.shift(); i !== undefined; i = order.shift()) {
              const index = i;
              inFlight++;
              const a = await untilAnswered(() => c.chunk(rec.id, index, rec.chunks[index]!), `chunk ${r}/${index}`).finally(() => inFlight--);
              if (!ok(a)) errors.push(`chunk ${r}/${index}: ${a.status} ${JSON.stringify(a.json)}`);
              if (++confirmed >= total / 3) onThird();
            }
          }),
        );
      }),
    );
    await killer;
    expect(errors).toEqual([]);
    // The kill fell in the middle of the uploads, not before or after them.
    expect(killedAt!.afterKill).toBeLessThan(total);
    console.log(`[multi-node] node 1 killed after ${killedAt!.confirmed}/${total} chunks confirmed, ${killedAt!.inFlight} requests in flight`);

    const finals = await Promise.all(
      recordings.map((rec, r) => untilAnswered(() => c.finalize({ sessionId: rec.id, totalChunks: rec.chunks.length }), `finalize ${r}`)),
    );
    for (const [r, rec] of recordings.entries()) {
      const whole = Buffer.concat(rec.chunks);
      const digests = rec.chunks.map((b) => sha256(b));
      expect(finals[r]!.json, `recording ${r}`).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestHex(digests) });
      expect(await chunkRows(rec.id)).toEqual(digests.map((d, idx) => ({ idx, size: rec.chunks[idx]!.length, sha256: d })));
    }

    // The recorded and served SHA-256 are filled in after completion by whichever node runs the job.
    for (const [r, rec] of recordings.entries()) {
      const whole = Buffer.concat(rec.chunks);
      const status = await eventually(`sha256 of recording ${r}`, async () => {
        const s = await c.status(rec.id);
        return s.status === 200 && s.json.sha256 !== null && s.json.fileSha256 ? s.json : undefined;
      });
      expect(status).toMatchObject({ state: 'complete', sha256: sha256(whole), fileSha256: sha256(whole) });
      const file = await untilAnswered(async () => {
        const f = await c.file(rec.id);
        return { status: f.status, headers: f.headers, json: f.bytes };
      }, `file ${r}`);
      expect(file.status).toBe(200);
      expect(sha256(file.json as Buffer)).toBe(sha256(whole));
      expect(Buffer.compare(file.json as Buffer, whole)).toBe(0);
    }

    // The large recordings were written as several multipart parts (each ≥ 5 MiB but the last,
    // which the s3rver wrapper enforces at CompleteMultipartUpload).
    const completions = counter.counts().completions;
    for (const rec of recordings.slice(0, LARGE)) {
      const done = completions.filter((k) => k.key.includes(rec.id));
      expect(done.length, `completions of ${rec.id}`).toBeGreaterThan(0);
      expect(Math.max(...done.map((k) => k.parts))).toBeGreaterThanOrEqual(2);
    }
    // Chunk objects are garbage once their bytes are in the output: none may stay behind.
    const left = await eventually('chunk objects deleted', async () => {
      const keys = (await lb.objectKeys('')).filter((k) => CHUNK_KEY.test(k));
      return keys.length === 0 ? keys : undefined;
    });
    expect(left).toEqual([]);
    // Nor pending rows: each is deleted once its part is recorded (or at completion).
    const pending = await eventually('pending chunk rows deleted', async () => {
      const rows = (await pendingRows()).filter((r) => recordings.some((rec) => rec.id === r.video_id));
      return rows.length === 0 ? rows : undefined;
    });
    expect(pending).toEqual([]);
    const written = counter.counts().bytesWritten;
    const ingested = recordings.reduce((n, r) => n + Buffer.concat(r.chunks).length, 0);
    console.log(`[multi-node] object store: ${written} bytes written for ${ingested} ingested (×${(written / ingested).toFixed(2)}, a kill included)`);
  }, 300_000);

  it('the same chunk sent to two nodes at once is stored once and both answers are 2xx', async () => {
    const [a, b] = [client(lb.nodes[0]!.url, token), client(lb.nodes[2]!.url, token)];
    const init = await c.init({ title: 'same chunk twice' });
    const id = init.json.sessionId as string;
    const chunks = [randomBytes(30_000), randomBytes(30_000), randomBytes(30_000), randomBytes(30_000)];
    // Index 0 extends the prefix (written straight into the output); index 3 is out of order
    // (kept as a chunk object): both paths raced.
    for (const i of [0, 3]) {
      const answers = await Promise.all([a.chunk(id, i, chunks[i]!), b.chunk(id, i, chunks[i]!)]);
      expect(answers.map((x) => x.status).every((s) => s === 200 || s === 201), JSON.stringify(answers.map((x) => x.json))).toBe(true);
    }
    expect((await chunkRows(id)).map((r) => r.idx)).toEqual([0, 3]);
    for (const i of [1, 2]) expect(ok(await c.chunk(id, i, chunks[i]!))).toBe(true);
    const fin = await c.finalize({ sessionId: id, totalChunks: 4 });
    expect(fin.json).toMatchObject({ status: 'complete', size: 120_000, chunksDigest: await chunksDigestHex(chunks.map((x) => sha256(x))) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(chunks)));
  }, 60_000);

  it('different bytes for one index on two nodes at once: one stored, the other 409 chunk_conflict', async () => {
    const [a, b] = [client(lb.nodes[1]!.url, token), client(lb.nodes[2]!.url, token)];
    const init = await c.init({ title: 'conflict' });
    const id = init.json.sessionId as string;
    for (const i of [0, 4]) {
      const [x, y] = [randomBytes(20_000), randomBytes(20_000)];
      const answers = await Promise.all([a.chunk(id, i, x), b.chunk(id, i, y)]);
      const statuses = answers.map((r) => r.status).sort((p, q) => p - q);
      expect(statuses[0] === 200 || statuses[0] === 201, JSON.stringify(answers.map((r) => r.json))).toBe(true);
      expect(statuses[1]).toBe(409);
      const loser = answers.find((r) => r.status === 409)!;
      expect(loser.json?.error?.code).toBe('chunk_conflict');
      const winnerBytes = answers[0]!.status === 409 ? y : x;
      const loserBytes = winnerBytes === x ? y : x;
      const row = (await chunkRows(id)).find((r) => r.idx === i);
      expect(row).toEqual({ idx: i, size: 20_000, sha256: sha256(winnerBytes) });
      // The loser's object was deleted before its 409 went out.
      expect((await lb.objectKeys('')).filter((k) => k.endsWith(sha256(loserBytes)))).toEqual([]);
      expect((await pendingRows()).filter((r) => r.sha256 === sha256(loserBytes))).toEqual([]);
    }
  }, 60_000);
});
