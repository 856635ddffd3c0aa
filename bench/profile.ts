/**
 * CPU profile of our server while it ingests (`npm run bench -- --only=ingest --profile`, or
 * alone via `node --import tsx bench/profile.ts`): starts it with `node --cpu-prof`, uploads
 * C=8 recordings of 625 KiB chunks, stops it (the profile is written on exit) and prints where
 * the samples fell: self time by function and by file, plus idle/GC/program shares.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ingestRun } from './ingest.ts';
import { makeChunkPool } from './lib/chunks.ts';
import { round } from './lib/stats.ts';
import { startOurs } from './lib/targets.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: { name: string; selfPct: number }[];
  byFile: { file: string; selfPct: number }[];
}

export function summarize(path: string, topN = 25): ProfileSummary {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, t] of self) {
    const cf = byId.get(id)!.callFrame;
    const file = cf.url ? relative(process.cwd(), cf.url.replace(/^file:\/\//, '')) : '(native)';
    const name = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + t);
    const group = file.startsWith('node_modules/') ? file.split('/').slice(0, file.split('/')[1]?.startsWith('@') ? 3 : 2).join('/') : file;
    files.set(group, (files.get(group) ?? 0) + t);
  }
  const pct = (t: number) => round((100 * t) / total, 1);
  return {
    file: path,
    totalMs: round(total / 1000),
    top: [...fn].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([name, t]) => ({ name, selfPct: pct(t) })),
    byFile: [...files].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([file, t]) => ({ file, selfPct: pct(t) })),
  };
}

export async function profileIngest(opts: { workDir: string; chunks: number; concurrency?: number }): Promise<ProfileSummary> {
  const dir = join(opts.workDir, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const target = await startOurs(join(opts.workDir, 'ours-profile'), { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const pool = makeChunkPool(16);
  const c = opts.concurrency ?? 8;
  try {
    await ingestRun(target, pool, c, Math.max(2, Math.round(opts.chunks / c)));
  } finally {
    await target.stop();
  }
  // tsx's module-loader thread writes a profile too; the main thread's is the largest.
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (!file) throw new Error('no .cpuprofile written');
  return summarize(join(dir, file));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await profileIngest({ workDir: 'bench/.work/profile', chunks: Number(process.env.BENCH_PROFILE_CHUNKS ?? 320) });
  console.log(`profile ${s.file}: ${s.totalMs} ms sampled`);
  console.table(s.byFile);
  console.table(s.top);
}
