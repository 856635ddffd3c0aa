/**
 * `node --import tsx bench/disk-stores-write.ts [chunks=60] [rounds=9]` — a side measurement, not
 * part of `npm run bench`: a write loop of 600 KB chunks through the disk stores, per chunk, in
 * the same run and on the same disk, rounds in random order (round 0 warms up):
 * - `raw`: the floor — one kept handle, writev at the offset, fdatasync;
 * - `DiskOutputWriter.write` with its handle cache and without (openHandles = 0);
 * - `DiskChunkObjects.put` (temp file, fsync, rename, directory fsync: the out-of-order path);
 * - `FsBlobStore.appendToAssembled`, the previous fast path, while that file still exists.
 * Prints wall and CPU ms per chunk and the ratio to the first runner present of FsBlobStore/raw.
 * Wall time is fsync-bound and noisy on a shared disk; CPU per chunk is the steadier figure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../src/server/ids.ts';
import { DiskChunkObjects } from '../src/server/storage/disk/disk-chunk-objects.ts';
import { DiskOutputWriter } from '../src/server/storage/disk/disk-output-writer.ts';
import { writeAllAt } from '../src/server/storage/disk/fs-io.ts';

const N = Number(process.argv[2] ?? 60);
const ROUNDS = Number(process.argv[3] ?? 9);
const chunk = randomBytes(600_000);
const sha = createHash('sha256').update(chunk).digest('hex');
const root = mkdtempSync(join(tmpdir(), 'outbox-disk-bench-'));
const sizes = Array<number>(N).fill(chunk.length);
const prefix = { chunks: 0, bytes: 0, segments: 0 };

const cached = new DiskOutputWriter(join(root, 'cached'));
const uncached = new DiskOutputWriter(join(root, 'uncached'), 0);
const chunks = new DiskChunkObjects(join(root, 'chunks'));
await Promise.all([cached.init(), uncached.init(), chunks.init()]);

const runs: Record<string, () => Promise<void>> = {
  raw: async () => {
    const fh = await open(join(root, newId()), 'w');
    for (let i = 0; i < N; i++) {
      await writeAllAt(fh, [chunk], i * chunk.length);
      await fh.datasync();
    }
    await fh.close();
  },
  'DiskOutputWriter.write (handle cache)': async () => {
    const h = await cached.begin(newId());
    for (const seg of cached.plan(prefix, sizes, false)) await cached.write(h, seg, [chunk]);
  },
  'DiskOutputWriter.write (no cache)': async () => {
    const h = await uncached.begin(newId());
    for (const seg of uncached.plan(prefix, sizes, false)) await uncached.write(h, seg, [chunk]);
  },
  'DiskChunkObjects.put': async () => {
    const videoId = newId();
    for (let i = 0; i < N; i++) await chunks.put({ videoId, index: i, sha256: sha }, { size: chunk.length, buffers: [chunk] });
  },
};

// The previous store, measured while it exists (the scale-out work removes it).
const legacy = new URL('../src/server/storage/fs-blob-store.ts', import.meta.url);
let closeLegacy = async () => {};
if (existsSync(legacy)) {
  const mod = (await import(legacy.href)) as {
    FsBlobStore: new (root: string) => {
      init(): Promise<void>;
      close(): Promise<void>;
      appendToAssembled(v: string, i: number, b: Buffer[], at: number, sha: string): Promise<void>;
    };
  };
  const store = new mod.FsBlobStore(join(root, 'legacy'));
  await store.init();
  closeLegacy = () => store.close();
  runs['FsBlobStore.appendToAssembled'] = async () => {
    const videoId = newId();
    for (let i = 0; i < N; i++) await store.appendToAssembled(videoId, i, [chunk], i * chunk.length, sha);
  };
}
const base = runs['FsBlobStore.appendToAssembled'] ? 'FsBlobStore.appendToAssembled' : 'raw';

const totals: Record<string, { wall: number; cpu: number }> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(runs).sort(() => Math.random() - 0.5)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (r === 0) continue;
    const t = (totals[name] ??= { wall: 0, cpu: 0 });
    t.wall += wall;
    t.cpu += (c.user + c.system) / 1000;
  }
}
const n = N * (ROUNDS - 1);
for (const [name, t] of Object.entries(totals)) {
  const b = totals[base]!;
  console.log(
    JSON.stringify({ name, wallMsPerChunk: +(t.wall / n).toFixed(3), cpuMsPerChunk: +(t.cpu / n).toFixed(3), [`wallVs${base}`]: +(t.wall / b.wall).toFixed(2), [`cpuVs${base}`]: +(t.cpu / b.cpu).toFixed(2) }),
  );
}
await Promise.all([cached.close(), uncached.close(), chunks.close(), closeLegacy()]);
rmSync(root, { recursive: true, force: true });
