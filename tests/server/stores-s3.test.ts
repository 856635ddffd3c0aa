/**
 * The S3 stores (src/server/storage/s3/) against the three port contracts on s3rver with S3's
 * CompleteMultipartUpload checks (tests/support/s3.ts), plus what only S3 promises: a recording
 * driven as ingest drives it — the bytes each request sends, and the requests per chunk — and
 * how a failing object store answers (503 with Retry-After, not a crash).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import type { ChunkRef, SegmentReceipt } from '../../src/server/storage/ports.ts';
import { createS3Client } from '../../src/server/storage/s3/client.ts';
import { S3ChunkObjects } from '../../src/server/storage/s3/s3-chunk-objects.ts';
import { S3OutputWriter } from '../../src/server/storage/s3/s3-output-writer.ts';
import { S3SmallObjects } from '../../src/server/storage/s3/s3-small-objects.ts';
import { ApiError } from '../../src/shared/errors.ts';
import { S3_MIN_PART_BYTES, useS3 } from '../support/s3.ts';
import { expectCode, runChunkObjectsContract } from './chunk-objects.contract.ts';
import { runOutputWriterContract } from './output-writer.contract.ts';
import { runSmallObjectsContract } from './small-objects.contract.ts';

const { s3 } = useS3();

function s3Store<T extends { init(): Promise<void> }>(make: (t: { client: S3Client; bucket: string }) => T) {
  return async () => {
    const store = make({ client: s3().client, bucket: s3().bucket });
    await store.init();
    return { store, minSegmentBytes: S3_MIN_PART_BYTES, cleanup: async () => {} };
  };
}

runChunkObjectsContract('S3', s3Store((t) => new S3ChunkObjects(t)));
runOutputWriterContract('S3', s3Store((t) => new S3OutputWriter(t)));
runSmallObjectsContract('S3', s3Store((t) => new S3SmallObjects(t)));

/** Counts every request the client sends and the body bytes of each kind. */
function countTraffic(client: S3Client) {
  const t = { requests: new Map<string, number>(), bytes: new Map<string, number>() };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      const len = Number((args.request as { headers?: Record<string, string> }).headers?.['content-length'] ?? 0);
      t.requests.set(name, (t.requests.get(name) ?? 0) + 1);
      t.bytes.set(name, (t.bytes.get(name) ?? 0) + len);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countTraffic' },
  );
  return t;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('S3 stores driven as ingest drives them', () => {
  it('sends each ingested byte once in a part and at most once more as a chunk object, and keeps only the output', async () => {
    const client = createS3Client(s3().settings);
    const traffic = countTraffic(client);
    const t = { client, bucket: s3().bucket };
    const chunks = new S3ChunkObjects(t);
    const out = new S3OutputWriter(t);
    const vid = newId();
    const CHUNKS = 30;
    const data = Array.from({ length: CHUNKS }, () => randomBytes(625_000));
    const ingested = CHUNKS * 625_000;
    const ref = (i: number): ChunkRef => ({ videoId: vid, index: i, sha256: sha(data[i]!) });
    const h = await out.begin(vid);
    let prefix = { chunks: 0, bytes: 0, segments: 0 };
    const receipts: SegmentReceipt[] = [];
    let storedAsObjects = 0;
    // A part is written with the bytes the node holds: the chunk that completes it from the
    // request's memory (never stored as an object), the others read back from their objects,
    // which are deleted once the part is recorded.
    const writeParts = async (upto: number, final: boolean, inMemory: number | null) => {
      for (const seg of out.plan(prefix, data.slice(prefix.chunks, upto).map((c) => c.length), final)) {
        const bytes: Buffer[] = [];
        for (let j = seg.first; j < seg.end; j++) bytes.push(...(j === inMemory ? [data[j]!] : await chunks.get(ref(j))));
        receipts.push(await out.write(h, seg, bytes));
        prefix = { chunks: seg.end, bytes: seg.offset + seg.bytes, segments: seg.number };
        for (let j = seg.first; j < seg.end; j++) if (j !== inMemory) await chunks.delete(ref(j));
      }
    };
    for (let i = 0; i < CHUNKS; i++) {
      const completesAPart = out.plan(prefix, data.slice(prefix.chunks, i + 1).map((c) => c.length), false).length > 0;
      if (completesAPart) await writeParts(i + 1, false, i);
      else {
        await chunks.put(ref(i), { size: data[i]!.length, buffers: [data[i]!] });
        storedAsObjects++;
      }
    }
    await writeParts(CHUNKS, true, null);
    await out.complete(h, receipts, prefix.bytes);

    const opened = await out.open(vid);
    opened.body.destroy();
    expect(opened.size).toBe(ingested);
    const left = await client.send(new ListObjectsV2Command({ Bucket: s3().bucket, Prefix: `chunks/${vid}/` }));
    expect(left.KeyCount ?? 0).toBe(0);
    const partBytes = traffic.bytes.get('UploadPartCommand') ?? 0;
    const objectBytes = traffic.bytes.get('PutObjectCommand') ?? 0;
    expect(partBytes).toBe(ingested);
    expect(objectBytes).toBe(storedAsObjects * 625_000);
    const sentRatio = (partBytes + objectBytes) / ingested;
    expect(sentRatio).toBeLessThan(2);
    const requests = [...traffic.requests.values()].reduce((a, b) => a + b, 0);
    console.info(
      JSON.stringify({
        figure: 's3-bytes-per-ingested-byte',
        chunks: CHUNKS,
        chunkBytes: 625_000,
        sentRatio: Number(sentRatio.toFixed(3)),
        atRestRatio: opened.size / ingested,
        requestsPerChunk: Number((requests / CHUNKS).toFixed(2)),
        requests: Object.fromEntries(traffic.requests),
      }),
    );
    client.destroy();
  });
});

/** An endpoint that answers every request with `status` and an S3 error document. */
async function failingEndpoint(status: number, code: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>test</Message></Error>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('S3 stores when the object store fails', () => {
  const servers: Server[] = [];
  let closedPort = 0;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  const storesAt = (endpoint: string) => {
    // One attempt: the SDK's retries (with backoff up to seconds on throttling) are not what is tested.
    const client = createS3Client({ ...s3().settings, endpoint, maxAttempts: 1 });
    const t = { client, bucket: s3().bucket };
    return { client, chunks: new S3ChunkObjects(t), out: new S3OutputWriter(t), small: new S3SmallObjects(t) };
  };

  const calls = (s: ReturnType<typeof storesAt>) => {
    const data = Buffer.from('bytes');
    const ref = { videoId: newId(), index: 0, sha256: sha(data) };
    const h = { videoId: ref.videoId, uploadId: 'upload-1' };
    const seg = s.out.plan({ chunks: 0, bytes: 0, segments: 0 }, [data.length], true)[0]!;
    return {
      'chunks.init': () => s.chunks.init(),
      'chunks.put': () => s.chunks.put(ref, { size: data.length, buffers: [data] }),
      'chunks.get': () => s.chunks.get(ref),
      'chunks.deleteAll': () => s.chunks.deleteAll(ref.videoId),
      'output.begin': () => s.out.begin(ref.videoId),
      'output.write': () => s.out.write(h, seg, [data]),
      'output.complete': () => s.out.complete(h, [{ ...seg, etag: '"e"' }], data.length),
      'output.abort': () => s.out.abort(h),
      'output.open': () => s.out.open(ref.videoId),
      'small.put': () => s.small.put(ref.videoId, 'poster', data),
      'small.get': () => s.small.get(ref.videoId, 'poster'),
    };
  };

  it.each([
    ['unreachable', null, '', 'service_unavailable'],
    ['answering 500 InternalError', 500, 'InternalError', 'service_unavailable'],
    ['throttling (503 SlowDown)', 503, 'SlowDown', 'service_unavailable'],
    ['full (507)', 507, 'InsufficientStorage', 'insufficient_storage'],
  ] as const)('maps every call to the catalogue when the store is %s', async (_what, status, code, expected) => {
    let url = `http://127.0.0.1:${closedPort}`;
    if (status !== null) {
      const f = await failingEndpoint(status, code);
      servers.push(f.server);
      url = f.url;
    }
    const s = storesAt(url);
    for (const [name, call] of Object.entries(calls(s))) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(ApiError);
      expect((err as ApiError).code, name).toBe(expected);
      if (expected === 'service_unavailable') expect((err as ApiError).details?.retryAfterSec, name).toBeGreaterThan(0);
    }
    s.client.destroy();
  });

  it('treats aborting an upload that no longer exists as done; the aborted upload cannot be completed', async () => {
    const out = new S3OutputWriter({ client: s3().client, bucket: s3().bucket });
    const h = await out.begin(newId());
    const receipt = await out.write(h, out.plan({ chunks: 0, bytes: 0, segments: 0 }, [3], true)[0]!, [Buffer.from('abc')]);
    await out.abort(h);
    await out.abort(h);
    await expectCode(out.complete(h, [receipt], 3), 'not_found');
    await expectCode(out.open(h.videoId), 'not_found');
  });
});
