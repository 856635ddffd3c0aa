/**
 * A full disk (ENOSPC) while a disk store writes: every store answers `insufficient_storage`
 * and keeps nothing half-written. The filesystem is made "full" by failing writes through file
 * handles opened after `full.on` is set (a real ENOSPC needs a small mounted filesystem, which
 * tests cannot mount without privileges); the /dev/full case in stores-disk.test.ts is the real one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import { DiskChunkObjects } from '../../src/server/storage/disk/disk-chunk-objects.ts';
import { DiskOutputWriter } from '../../src/server/storage/disk/disk-output-writer.ts';
import { DiskSmallObjects } from '../../src/server/storage/disk/disk-small-objects.ts';
import { expectCode } from './chunk-objects.contract.ts';

const full = vi.hoisted(() => ({ on: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  const open = async (...args: Parameters<typeof real.open>) => {
    const fh = await real.open(...args);
    if (!full.on) return fh;
    return new Proxy(fh, {
      get(target, prop) {
        if (prop === 'write' || prop === 'writev' || prop === 'writeFile') return enospc;
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ...real, default: { ...real, open }, open };
});

describe('disk stores on a full disk', () => {
  let root = '';
  afterEach(async () => {
    full.on = false;
    await rm(root, { recursive: true, force: true });
  });

  it('chunk put: insufficient_storage, no temp file and no chunk kept', async () => {
    root = mkdtempSync(join(tmpdir(), 'outbox-full-'));
    const store = new DiskChunkObjects(root);
    await store.init();
    const data = Buffer.from('does not fit');
    const ref = { videoId: newId(), index: 0, sha256: createHash('sha256').update(data).digest('hex') };
    full.on = true;
    await expectCode(store.put(ref, { size: data.length, buffers: [data] }), 'insufficient_storage');
    full.on = false;
    expect(await readdir(join(root, 'tmp', 'chunks'))).toEqual([]);
    await expectCode(store.get(ref), 'not_found');
  });

  it('small put: insufficient_storage, the old object intact, no temp file kept', async () => {
    root = mkdtempSync(join(tmpdir(), 'outbox-full-'));
    const store = new DiskSmallObjects(root);
    await store.init();
    const vid = newId();
    await store.put(vid, 'poster', Buffer.from('old poster'));
    full.on = true;
    await expectCode(store.put(vid, 'poster', Buffer.from('new poster')), 'insufficient_storage');
    full.on = false;
    expect(await readdir(join(root, 'tmp', 'small'))).toEqual([]);
    expect(await store.get(vid, 'poster')).toEqual(Buffer.from('old poster'));
  });

  it('output write: insufficient_storage, the file cut back to the recorded prefix', async () => {
    root = mkdtempSync(join(tmpdir(), 'outbox-full-'));
    const out = new DiskOutputWriter(root);
    await out.init();
    const vid = newId();
    const h = await out.begin(vid);
    const [s1, s2] = out.plan({ chunks: 0, bytes: 0, segments: 0 }, [5, 7], false);
    await out.write(h, s1!, [Buffer.from('first')]);
    await out.close();
    full.on = true;
    await expectCode(out.write(h, s2!, [Buffer.from('seventh')]), 'insufficient_storage');
    full.on = false;
    expect((await stat(join(root, 'videos', vid))).size).toBe(5);
    await out.write(h, s2!, [Buffer.from('seventh')]);
    await out.complete(h, [], 12);
    expect((await stat(join(root, 'videos', vid))).size).toBe(12);
  });
});
