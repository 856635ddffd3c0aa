/**
 * /file over real HTTP (fastify on 127.0.0.1) from in-memory ports: a missing object or an
 * unreachable store is a clean catalogue error before any byte (never a 200 cut short), Range
 * requests across the head / recorded-bytes boundary, HEAD, and the ETag once the served digest
 * is known.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/errors.ts';
import { errorHandler } from '../../src/server/http/errors.ts';
import { sendVideo } from '../../src/server/http/send-video.ts';
import { runAfterCompletion } from '../../src/server/ingest/after-completion.ts';
import { servedSize } from '../../src/server/ingest/served-file.ts';
import { cutStream, liveWebm } from '../support/webm-fixtures.ts';
import { addCompleteVideo, fakeAfterContext, sha256 } from '../support/fake-ports.ts';

const ctx = fakeAfterContext();
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify();
  app.setErrorHandler(errorHandler);
  app.get('/file/:id', async (request, reply) => {
    const video = await ctx.repo.getVideo((request.params as { id: string }).id);
    if (!video) throw new ApiError('not_found');
    return sendVideo(request, reply, ctx, video, 'no-cache');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

async function get(id: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(`${url}/file/${id}`, { headers, method });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('sendVideo on the ports', () => {
  it('serves the recorded bytes until the layout is decided, then the head and the Clusters, with Ranges across the boundary', async () => {
    const stream = await liveWebm(12);
    const { id } = addCompleteVideo(ctx.repo, ctx.output, cutStream(stream, 6, 4));
    const before = await get(id);
    expect(before.status).toBe(200);
    expect(before.bytes.equals(stream)).toBe(true);
    expect(before.headers.get('etag')).toBeNull();

    await runAfterCompletion(ctx, id);
    const v = ctx.repo.videos.get(id)!;
    const whole = await get(id);
    expect(whole.status).toBe(200);
    expect(whole.bytes.length).toBe(servedSize(v));
    expect(sha256(whole.bytes)).toBe(v.fileSha256);
    expect(whole.headers.get('etag')).toBe(`"${v.fileSha256}"`);
    const h = v.servedHead!.length;
    for (const [a, b] of [[0, 9], [h - 5, h + 5], [h - 1, h], [h, h], [10, whole.bytes.length - 1], [whole.bytes.length - 3, whole.bytes.length - 1]] as const) {
      const part = await get(id, { range: `bytes=${a}-${b}` });
      expect(part.status, `${a}-${b}`).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${a}-${b}/${whole.bytes.length}`);
      expect(part.bytes.equals(whole.bytes.subarray(a, b + 1)), `${a}-${b}`).toBe(true);
    }
    const head = await get(id, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(whole.bytes.length));
  });

  it('answers 404 before any byte when the output or the served head is missing', async () => {
    const stream = await liveWebm(12);
    const { id } = addCompleteVideo(ctx.repo, ctx.output, cutStream(stream, 6, 8));
    await runAfterCompletion(ctx, id);
    const v = ctx.repo.videos.get(id)!;
    const size = servedSize(v);

    ctx.output.objects.delete(id);
    // Every answer that includes recorded bytes (a range inside the head alone is the head object's).
    for (const range of [undefined, 'bytes=0-', `bytes=${v.servedHead!.length - 1}-${v.servedHead!.length}`, `bytes=${size - 10}-`]) {
      const res = await get(id, range ? { range } : {});
      expect(res.status, range).toBe(404);
      expect(res.headers.get('content-range')).toBeNull();
      expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await get(id, {}, 'HEAD')).status).toBe(404);

    const other = addCompleteVideo(ctx.repo, ctx.output, cutStream(stream, 6, 9));
    await runAfterCompletion(ctx, other.id);
    await ctx.small.deleteAll(other.id);
    const res = await get(other.id);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers 503 with Retry-After when the store cannot be reached', async () => {
    const { id } = addCompleteVideo(ctx.repo, ctx.output, [Buffer.alloc(2000, 1)], { mimeType: 'video/mp4' });
    const realOpen = ctx.output.open.bind(ctx.output);
    ctx.output.open = async () => {
      throw new ApiError('service_unavailable', { retryAfterSec: 2 });
    };
    try {
      const res = await get(id);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: 'service_unavailable' } });
    } finally {
      ctx.output.open = realOpen;
    }
    expect((await get(id)).status).toBe(200);
  });
});
