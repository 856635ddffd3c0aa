/**
 * The after-completion job against in-memory ports (tests/support/fake-ports.ts) and the real
 * WebM code: what it records (recorded digest, layout and served head, served digest), that a
 * job killed half-way is redone by the catch-up with the same results, that nothing wrong is ever
 * recorded, and that jobs are bounded and awaited at close.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  catchUpAfterCompletion, closeAfterCompletion, runAfterCompletion, scheduleAfterCompletion,
} from '../../src/server/ingest/after-completion.ts';
import { openServed, servedSize } from '../../src/server/ingest/served-file.ts';
import { InlineSha256 } from '../../src/server/hashing/inline-sha256.ts';
import { cutStream, ffprobeDuration, liveWebm, mkvinfoCuePoints } from '../support/webm-fixtures.ts';
import { addCompleteVideo, fakeAfterContext, sha256, until } from '../support/fake-ports.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-after-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Ctx = ReturnType<typeof fakeAfterContext>;

async function served(ctx: Ctx, id: string): Promise<Buffer> {
  const v = (await ctx.repo.getVideo(id))!;
  const parts: Buffer[] = [];
  for await (const b of await openServed(ctx, v, { start: 0, end: servedSize(v) - 1 })) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

const done = (ctx: Ctx, id: string) => () => {
  const v = ctx.repo.videos.get(id)!;
  return v.sha256 !== null && v.fileSha256 !== null;
};

describe('after-completion job', () => {
  it('records the recorded digest, a seekable layout with its head, and the served digest', async () => {
    const stream = await liveWebm(12);
    const ctx = fakeAfterContext();
    const { id } = addCompleteVideo(ctx.repo, ctx.output, cutStream(stream, 8, 3));
    scheduleAfterCompletion(ctx, id);
    await until(done(ctx, id), 'digests recorded');
    const v = ctx.repo.videos.get(id)!;
    expect(v.sha256).toBe(sha256(stream));
    expect(v.seekable).toBe(true);
    expect(Math.abs(v.durationMs! - 12_000)).toBeLessThan(500);
    const head = ctx.small.objects.get(`${id}/head`)!;
    expect(v.servedHead).toEqual({ length: head.length, replaces: stream.indexOf(Buffer.from('1f43b675', 'hex')) });
    const file = await served(ctx, id);
    expect(file.equals(Buffer.concat([head, stream.subarray(v.servedHead!.replaces)]))).toBe(true);
    expect(v.fileSha256).toBe(sha256(file));
    expect(v.fileSha256).not.toBe(v.sha256);
    // The served file is a seekable WebM by two independent parsers.
    const path = join(dir, 'served.webm');
    writeFileSync(path, file);
    expect(Math.abs((await ffprobeDuration(path)) - 12)).toBeLessThan(0.5);
    expect(await mkvinfoCuePoints(path)).toBe(3);
    // The recorded digest is the last write: a video with `sha256` has everything else.
    expect(ctx.repo.writes).toEqual([`layout ${id}`, `file ${id}`, `recorded ${id}`]);
    await closeAfterCompletion(ctx);
  });

  it('indexes a partial recording up to its first gap (the held chunks before it)', async () => {
    const stream = await liveWebm(12);
    const chunks = cutStream(stream, 12, 5);
    const ctx = fakeAfterContext();
    const { id, recorded } = addCompleteVideo(ctx.repo, ctx.output, chunks, { gaps: [[6, 6], [9, 10]] });
    scheduleAfterCompletion(ctx, id);
    await until(done(ctx, id), 'digests recorded');
    const v = ctx.repo.videos.get(id)!;
    expect(v.sha256).toBe(sha256(recorded));
    expect(v.seekable).toBe(true);
    // Cues and Duration cover the six chunks before the gap only.
    const before = Buffer.concat(chunks.slice(0, 6)).length;
    expect(v.durationMs!).toBeLessThan(12_000 * (before / stream.length) + 2500);
    expect(v.durationMs!).toBeGreaterThan(1000);
    const file = await served(ctx, id);
    expect(v.fileSha256).toBe(sha256(file));
    expect(file.subarray(v.servedHead!.length).equals(recorded.subarray(v.servedHead!.replaces))).toBe(true);
    await closeAfterCompletion(ctx);
  });

  it('serves what it does not understand as recorded, with the recorded digest and a warning', async () => {
    const ctx = fakeAfterContext();
    const mp4 = addCompleteVideo(ctx.repo, ctx.output, [Buffer.from('0000001c66747970', 'hex'), Buffer.alloc(3000, 7)], { mimeType: 'video/mp4' });
    const junk = addCompleteVideo(ctx.repo, ctx.output, [Buffer.from('not a webm at all'), Buffer.alloc(999, 1)]);
    for (const { id } of [mp4, junk]) scheduleAfterCompletion(ctx, id);
    for (const { id, recorded } of [mp4, junk]) {
      await until(done(ctx, id), 'digests recorded');
      expect(ctx.repo.videos.get(id)).toMatchObject({ seekable: false, durationMs: null, servedHead: null, sha256: sha256(recorded), fileSha256: sha256(recorded) });
      expect((await served(ctx, id)).equals(recorded)).toBe(true);
      expect(ctx.logs.some((l) => l.event === 'webm/served-as-recorded' && l.videoId === id)).toBe(true);
    }
    expect(ctx.small.puts).toBe(0);
    await closeAfterCompletion(ctx);
  });

  it('redoes a job killed half-way (in either read) by the catch-up, with the same results', async () => {
    const stream = await liveWebm(12);
    const chunks = cutStream(stream, 8, 11);
    const reference = fakeAfterContext();
    const ref = addCompleteVideo(reference.repo, reference.output, chunks);
    await runAfterCompletion(reference, ref.id);
    const expected = reference.repo.videos.get(ref.id)!;

    for (const failedRead of [1, 2]) {
      const ctx = fakeAfterContext();
      const { id } = addCompleteVideo(ctx.repo, ctx.output, chunks);
      // The first read (recorded bytes) or the second (served bytes) fails after 32 KiB.
      const realOpen = ctx.output.open.bind(ctx.output);
      let n = 0;
      ctx.output.open = async (videoId, range) => {
        if (++n === failedRead) ctx.output.failReads = { count: 1, failAfter: 32 * 1024 };
        return realOpen(videoId, range);
      };
      scheduleAfterCompletion(ctx, id);
      await until(() => ctx.logs.some((l) => l.event === 'after/failed'), 'the job failed');
      const half = ctx.repo.videos.get(id)!;
      // Nothing wrong recorded: no digest at all; the layout only once its head was stored.
      expect(half.sha256).toBeNull();
      expect(half.fileSha256).toBeNull();
      expect(half.seekable).toBe(failedRead === 1 ? null : true);
      if (half.seekable) expect(ctx.small.objects.get(`${id}/head`)!.length).toBe(half.servedHead!.length);

      await catchUpAfterCompletion(ctx);
      await until(done(ctx, id), 'caught up');
      const v = ctx.repo.videos.get(id)!;
      for (const k of ['sha256', 'fileSha256', 'seekable', 'durationMs', 'servedHead'] as const) expect(v[k], `${k} after failed read ${failedRead}`).toEqual(expected[k]);
      expect(ctx.small.objects.get(`${id}/head`)!.equals(reference.small.objects.get(`${ref.id}/head`)!)).toBe(true);
      expect(n).toBe(failedRead + 2);
      await closeAfterCompletion(ctx);
    }
  });

  it('records no digest when the hash service lost the running hash', async () => {
    const ctx = fakeAfterContext();
    const lossy = new InlineSha256();
    lossy.peek = async () => null;
    const { id } = addCompleteVideo(ctx.repo, ctx.output, [Buffer.alloc(5000, 3)], { mimeType: 'video/mp4' });
    await expect(runAfterCompletion({ ...ctx, sha256: lossy }, id)).rejects.toThrow(/lost/);
    expect(ctx.repo.videos.get(id)).toMatchObject({ sha256: null, fileSha256: null });
  });

  it('refuses an output whose length is not the recorded length', async () => {
    const ctx = fakeAfterContext();
    const { id, recorded } = addCompleteVideo(ctx.repo, ctx.output, [Buffer.alloc(5000, 3)], { mimeType: 'video/mp4' });
    ctx.output.objects.set(id, recorded.subarray(0, 4000));
    await expect(runAfterCompletion(ctx, id)).rejects.toThrow(/4000 bytes/);
    ctx.output.objects.delete(id);
    await expect(runAfterCompletion(ctx, id)).rejects.toMatchObject({ code: 'not_found' });
    expect(ctx.repo.writes).toEqual([]);
  });

  it('does the work once: a second run finds it done and writes nothing', async () => {
    const stream = await liveWebm(12);
    const ctx = fakeAfterContext();
    const { id } = addCompleteVideo(ctx.repo, ctx.output, cutStream(stream, 4, 2));
    await Promise.all([runAfterCompletion(ctx, id), runAfterCompletion(ctx, id)]);
    expect(ctx.repo.writes).toHaveLength(3);
    expect(ctx.small.puts).toBe(1);
  });

  it('runs at most two jobs at once, and close waits for the running ones and starts no other', async () => {
    const ctx = fakeAfterContext();
    const ids = Array.from({ length: 5 }, (_, k) => addCompleteVideo(ctx.repo, ctx.output, [Buffer.alloc(1000 + k, k)], { mimeType: 'video/mp4' }).id);
    let release!: () => void;
    ctx.output.gate = new Promise<void>((r) => (release = r));
    for (const id of ids) scheduleAfterCompletion(ctx, id);
    for (const id of ids) scheduleAfterCompletion(ctx, id); // queued once
    await until(() => ctx.output.inFlight === 2, 'two jobs reading');
    let closed = false;
    const closing = closeAfterCompletion(ctx).then(() => (closed = true));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(ctx.output.maxInFlight).toBe(2);
    expect(ctx.output.opens).toBe(2);
    const finished = ids.filter((id) => ctx.repo.videos.get(id)!.sha256 !== null);
    expect(finished).toEqual(ids.slice(0, 2));
    // Closed: nothing new starts, and what was left is for the next start-up's catch-up.
    scheduleAfterCompletion(ctx, ids[4]!);
    await catchUpAfterCompletion(ctx);
    expect(ctx.output.opens).toBe(2);
    expect(await ctx.repo.listCompletedPending(10)).toEqual(ids.slice(2));
  });
});
