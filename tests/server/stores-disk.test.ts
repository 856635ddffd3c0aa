/**
 * The disk stores (src/server/storage/disk/) against the three port contracts, plus what only
 * the disk promises: a file body is moved in, not copied; a store clears its own temp files at
 * start-up; a full disk is `insufficient_storage` with nothing half-written kept.
 */
import { mkdtempSync } from 'node:fs';
import { readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import { DiskChunkObjects } from '../../src/server/storage/disk/disk-chunk-objects.ts';
import { DiskOutputWriter } from '../../src/server/storage/disk/disk-output-writer.ts';
import { DiskSmallObjects } from '../../src/server/storage/disk/disk-small-objects.ts';
import { expectCode, runChunkObjectsContract } from './chunk-objects.contract.ts';
import { runOutputWriterContract } from './output-writer.contract.ts';
import { runSmallObjectsContract } from './small-objects.contract.ts';

function diskStore<T extends { init(): Promise<void>; close(): Promise<void> }>(make: (root: string) => T) {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'outbox-disk-'));
    const store = make(root);
    await store.init();
    return {
      store,
      minSegmentBytes: 1,
      async cleanup() {
        await store.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  };
}

runChunkObjectsContract('disk', diskStore((root) => new DiskChunkObjects(root)));
runOutputWriterContract('disk', diskStore((root) => new DiskOutputWriter(root)));
runSmallObjectsContract('disk', diskStore((root) => new DiskSmallObjects(root)));

describe('disk stores', () => {
  const roots: string[] = [];
  const root = () => {
    const r = mkdtempSync(join(tmpdir(), 'outbox-disk-'));
    roots.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
  });

  it('moves a file body into place on the same filesystem instead of copying it', async () => {
    const r = root();
    const store = new DiskChunkObjects(r);
    await store.init();
    const data = Buffer.from('verified body on disk');
    const path = join(r, 'ingest-temp');
    await writeFile(path, data);
    const { ino } = await stat(path);
    const ref = { videoId: newId(), index: 0, sha256: createHash('sha256').update(data).digest('hex') };
    await store.put(ref, { size: data.length, path });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(join(r, 'chunks', ref.videoId, `0-${ref.sha256}`))).ino).toBe(ino);
  });

  it('removes its own leftover temp files at init, and nothing else', async () => {
    const r = root();
    const chunks = new DiskChunkObjects(r);
    const small = new DiskSmallObjects(r);
    await Promise.all([chunks.init(), small.init()]);
    const vid = newId();
    await small.put(vid, 'head', Buffer.from('kept'));
    await writeFile(join(r, 'tmp', 'chunks', 'crashed.tmp'), 'left by a crash');
    await writeFile(join(r, 'tmp', 'small', 'crashed.tmp'), 'left by a crash');
    await writeFile(join(r, 'tmp', 'ingest-owned'), 'not ours');
    await Promise.all([new DiskChunkObjects(r).init(), new DiskSmallObjects(r).init()]);
    expect(await readdir(join(r, 'tmp', 'chunks'))).toEqual([]);
    expect(await readdir(join(r, 'tmp', 'small'))).toEqual([]);
    expect(await readdir(join(r, 'tmp'))).toContain('ingest-owned');
    expect(await small.get(vid, 'head')).toEqual(Buffer.from('kept'));
  });

  it('answers insufficient_storage when the disk is full (/dev/full answers ENOSPC)', async () => {
    const r = root();
    const out = new DiskOutputWriter(r);
    await out.init();
    const vid = newId();
    await symlink('/dev/full', join(r, 'videos', vid));
    const h = await out.begin(vid);
    const seg = out.plan({ chunks: 0, bytes: 0, segments: 0 }, [4], false)[0]!;
    await expectCode(out.write(h, seg, [Buffer.from('full')]), 'insufficient_storage');
    await out.close();
  });

  it('stores a chunk whose video directory was removed after it was last used (a deleteAll racing a late put)', async () => {
    const r = root();
    const store = new DiskChunkObjects(r);
    await store.init();
    const vid = newId();
    const a = Buffer.from('first');
    const b = Buffer.from('late');
    const ref = (i: number, d: Buffer) => ({ videoId: vid, index: i, sha256: createHash('sha256').update(d).digest('hex') });
    await store.put(ref(0, a), { size: a.length, buffers: [a] });
    await rm(join(r, 'chunks', vid), { recursive: true });
    await store.put(ref(1, b), { size: b.length, buffers: [b] });
    expect(Buffer.concat(await store.get(ref(1, b)))).toEqual(b);
  });
});
