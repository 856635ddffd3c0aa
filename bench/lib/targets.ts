/**
 * The three servers under test, each a child process on the same disk, and one upload client
 * (undici) that speaks each one's protocol: ours (init → chunk… → finalize), tus (create with
 * deferred length → PATCH per chunk, the last one declaring the length) and raw (POST per chunk).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { FinalizeResponse, ROUTES, VideoStatus } from '../../src/shared/api.ts';
import type { Chunk } from './chunks.ts';
import { spawnBenchServer, type ChildServer } from './child.ts';
import { startOurServer } from './our-server.ts';

export type TargetName = 'ours' | 'tus' | 'raw' | 'ours-s3';

export interface RecordingUpload {
  /** Uploads chunk `index`; `last` tells protocols that must know the end (tus). */
  put(index: number, chunk: Chunk, last: boolean): Promise<void>;
  /** Ends the recording; for ours returns finalize's answer. */
  finish(totalChunks: number): Promise<unknown>;
  /** Ours: resolves once the after-completion job has recorded the video's sha256 (the server is quiet again). */
  afterCompletion?(): Promise<void>;
}

export interface Target {
  name: TargetName;
  origin: string;
  pid: number;
  /** Ours: its log so far (pino JSON lines; LOG_LEVEL=info shows finalize's per-step durations). */
  output?: () => string;
  newRecording(): Promise<RecordingUpload>;
  stop(): Promise<void>;
}

function pool(origin: string): Pool {
  // Enough sockets for the highest concurrency; keep-alive like a browser.
  return new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
}

async function expectStatus(res: { statusCode: number; body: { text(): Promise<string> } }, ok: number[], what: string): Promise<string> {
  const text = await res.body.text();
  if (!ok.includes(res.statusCode)) throw new Error(`${what}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  return text;
}

export async function startRaw(dataDir: string): Promise<Target> {
  mkdirSync(dataDir, { recursive: true });
  const child = await spawnBenchServer('bench/servers/raw-server.ts', { BENCH_DATA_DIR: dataDir });
  const http = pool(child.origin);
  return {
    name: 'raw',
    origin: child.origin,
    pid: child.pid,
    async newRecording() {
      const id = randomUUID();
      return {
        async put(index, chunk) {
          const res = await http.request({ path: `/raw/${id}/${index}`, method: 'POST', body: chunk.bytes });
          await expectStatus(res, [201], 'raw chunk');
        },
        async finish() {},
      };
    },
    stop: () => stopAll(http, child),
  };
}

export async function startTus(dataDir: string): Promise<Target> {
  mkdirSync(dataDir, { recursive: true });
  const child = await spawnBenchServer('bench/servers/tus-server.ts', { BENCH_DATA_DIR: dataDir });
  const http = pool(child.origin);
  const tusHeaders = { 'tus-resumable': '1.0.0' };
  return {
    name: 'tus',
    origin: child.origin,
    pid: child.pid,
    async newRecording() {
      // A recording's length is unknown while it records: creation-defer-length (tus 1.0 §Creation).
      const created = await http.request({
        path: '/files',
        method: 'POST',
        headers: { ...tusHeaders, 'upload-defer-length': '1', 'content-length': '0' },
      });
      const location = created.headers.location;
      await expectStatus(created, [201], 'tus create');
      if (typeof location !== 'string') throw new Error('tus create: no Location');
      const path = new URL(location, child.origin).pathname;
      let offset = 0;
      return {
        async put(_index, chunk, last) {
          const headers: Record<string, string> = {
            ...tusHeaders,
            'content-type': 'application/offset+octet-stream',
            'upload-offset': String(offset),
          };
          if (last) headers['upload-length'] = String(offset + chunk.bytes.length);
          const res = await http.request({ path, method: 'PATCH', headers, body: chunk.bytes });
          await expectStatus(res, [204], 'tus patch');
          offset += chunk.bytes.length;
        },
        async finish() {},
      };
    },
    stop: () => stopAll(http, child),
  };
}

/** Status polls while waiting for the after-completion job, and how long it may take at most. */
const AFTER_COMPLETION_POLL_MS = 25;
const AFTER_COMPLETION_TIMEOUT_MS = 300_000;

/** Our server; `env` selects other storage (bench/s3.ts: PostgreSQL + S3 as `ours-s3`). */
export async function startOurs(dataDir: string, opts: { execArgv?: string[]; env?: Record<string, string>; name?: 'ours' | 'ours-s3' } = {}): Promise<Target> {
  const server = await startOurServer(dataDir, opts.execArgv ?? [], opts.env ?? {});
  const http = pool(server.origin);
  const auth = { authorization: `Bearer ${server.token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  return {
    name: opts.name ?? 'ours',
    origin: server.origin,
    pid: server.pid,
    output: server.output,
    async newRecording() {
      const init = await http.request({
        path: ROUTES.init,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ recordingId: randomUUID(), mimeType: 'video/webm' }),
      });
      const { sessionId } = JSON.parse(await expectStatus(init, [200, 201], 'init')) as { sessionId: string };
      let videoId: string | null = null;
      return {
        async put(index, chunk) {
          const res = await http.request({
            path: `${ROUTES.chunk}?sessionId=${sessionId}&index=${index}`,
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/octet-stream', 'content-digest': chunk.contentDigest },
            body: chunk.bytes,
          });
          await expectStatus(res, [201], 'chunk');
        },
        async finish(totalChunks) {
          const res = await http.request({
            path: ROUTES.finalize,
            method: 'POST',
            headers: json,
            body: JSON.stringify({ sessionId, totalChunks }),
          });
          const answer = FinalizeResponse.parse(JSON.parse(await expectStatus(res, [200, 201], 'finalize')));
          if (answer.status !== 'complete') throw new Error(`finalize: incomplete, missing ${answer.missing.length}`);
          videoId = answer.videoId;
          return answer;
        },
        async afterCompletion() {
          if (videoId === null) throw new Error('afterCompletion before finish');
          // Polled: the job has no event a client can wait on. Bounded, so a job that never
          // records fails the run instead of hanging it.
          const deadline = performance.now() + AFTER_COMPLETION_TIMEOUT_MS;
          for (;;) {
            const res = await http.request({ path: ROUTES.video(videoId), method: 'GET', headers: auth });
            const status = VideoStatus.parse(JSON.parse(await expectStatus(res, [200], 'status')));
            if (status.sha256 !== null) return;
            if (performance.now() > deadline) throw new Error(`video ${videoId}: sha256 still null after ${AFTER_COMPLETION_TIMEOUT_MS} ms`);
            await new Promise((r) => setTimeout(r, AFTER_COMPLETION_POLL_MS));
          }
        },
      };
    },
    stop: () => stopAll(http, server),
  };
}

export function startTarget(name: TargetName, workDir: string): Promise<Target> {
  const dir = join(workDir, name);
  if (name === 'ours-s3') throw new Error('ours-s3 runs on the engines bench/s3.ts starts (PostgreSQL, s3rver)');
  if (name === 'ours') return startOurs(dir);
  if (name === 'tus') return startTus(dir);
  return startRaw(dir);
}

async function stopAll(http: Pool, child: Pick<ChildServer, 'stop'>): Promise<void> {
  await http.close();
  await child.stop();
}
