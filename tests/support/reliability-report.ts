/**
 * The reliability report: every fault case (server faults, hostile input, load, and the browser
 * fault matrix) records one JSON file `docs/reliability/<case>.json`, and `docs/RELIABILITY.md`
 * is regenerated from all of them, so the document always shows the latest run of each case.
 *
 * Files are written atomically (temp file + rename) and the regeneration runs under a lock file,
 * because vitest runs test files in parallel workers: without the lock, two writers that each
 * listed the directory before the other's JSON landed could leave a table missing a case.
 */
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ReliabilityCase {
  /** Stable kebab-case name, also the JSON file name (e.g. `server-kill-soak`). */
  case: string;
  /** The fault injected, in a few words (e.g. `kill -9 of the server ×50 during chunk writes`). */
  fault: string;
  /** Bytes the clients recorded (what must arrive). */
  bytesRecorded: number;
  /** Bytes the server holds in complete videos at the end. */
  bytesStored: number;
  /** Chunks uploaded (recorded) in the case. */
  chunks: number;
  /** Chunks the server stored more than once (must be 0). */
  duplicatesStored: number;
  /** Every video's SHA-256 equals the SHA-256 of the bytes recorded. */
  sha256Match: boolean;
  durationMs: number;
  /** Free text: figures worth keeping (kills done, requests generated, throughput …). */
  notes?: string;
  /** Scaling variables that shaped this run, e.g. `{ FAULT_KILLS: '50' }`. */
  env?: Record<string, string>;
}

interface StoredCase extends ReliabilityCase {
  recordedAt: string;
}

export interface ReportOptions {
  /** Where `reliability/` and `RELIABILITY.md` live; default the project's `docs/`. */
  docsDir?: string;
  /** ISO time stamp of the run; default now. */
  now?: () => Date;
}

const CASE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Scaling variables every fault suite understands; the browser matrix may add its own via `env`. */
const KNOWN_ENV: Array<[string, string]> = [
  ['FAULT_KILLS', 'number of kill -9 / restart cycles in the server soak (default 50)'],
  ['HOSTILE_RUNS', 'generated bad requests per property in the hostile-input suite (default sized to ≥ 200 in total)'],
  ['LOAD_CHUNKS', 'chunks per simulated recording in the load test (default 4; 50 recordings, 625 KB chunks)'],
  ['LOAD_RECORDINGS', 'simulated recordings uploading at once in the load test (default 50)'],
];

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function withLock<T>(lockPath: string, fn: () => T): T {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A writer killed while holding the lock must not block every later run.
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > 10_000) rmSync(lockPath, { force: true });
      } catch {
        // gone in between: retry
      }
      if (Date.now() > deadline) throw new Error(`reliability report lock ${lockPath} held for more than 10 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function readCases(dir: string): StoredCase[] {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  const cases: StoredCase[] = [];
  for (const n of names) {
    try {
      cases.push(JSON.parse(readFileSync(join(dir, n), 'utf8')) as StoredCase);
    } catch {
      // A malformed file is skipped rather than breaking every other case's report.
    }
  }
  return cases.sort((a, b) => a.case.localeCompare(b.case));
}

const fmtBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderReliabilityMarkdown(cases: readonly StoredCase[]): string {
  const rows = cases.map((c) =>
    [
      `\`${c.case}\``,
      cell(c.fault),
      fmtBytes(c.bytesRecorded),
      fmtBytes(c.bytesStored),
      String(c.chunks),
      String(c.duplicatesStored),
      c.sha256Match ? 'yes' : '**NO**',
      `${(c.durationMs / 1000).toFixed(1)} s`,
      cell([c.notes ?? '', c.env && Object.keys(c.env).length ? `env: ${Object.entries(c.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''].filter(Boolean).join(' — ')),
      c.recordedAt.slice(0, 19).replace('T', ' '),
    ].join(' | '),
  );
  return `# Reliability

Generated from \`docs/reliability/*.json\` by \`tests/support/reliability-report.ts\`; each row is the
latest run of one fault case. Do not edit by hand: run the tests again.

"Bytes recorded" is what the clients produced, "bytes stored" what the server holds in complete
videos afterwards; "SHA-256 match" means every video's digest equals the digest of the bytes
recorded, and "dup." counts chunks the server stored twice (must be 0).

| case | fault injected | bytes recorded | bytes stored | chunks | dup. | SHA-256 match | duration | notes | recorded (UTC) |
|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r} |`).join('\n')}

## How to reproduce

\`\`\`sh
npm test                               # typecheck, build, every suite (CI: bash .ci/run)
npx vitest run tests/faults            # the server-level fault, hostile-input and load suites only
FAULT_KILLS=200 LOAD_CHUNKS=20 npx vitest run tests/faults   # a longer soak
\`\`\`

Scaling variables (CI uses the defaults):

${KNOWN_ENV.map(([k, v]) => `- \`${k}\`: ${v}`).join('\n')}
`;
}

/** Writes `docs/reliability/<case>.json` and regenerates `docs/RELIABILITY.md` from every case. */
export function recordReliabilityCase(input: ReliabilityCase, opts: ReportOptions = {}): void {
  if (!CASE_NAME.test(input.case)) throw new Error(`case name must be kebab-case, got ${JSON.stringify(input.case)}`);
  for (const k of ['bytesRecorded', 'bytesStored', 'chunks', 'duplicatesStored', 'durationMs'] as const) {
    if (!Number.isFinite(input[k]) || input[k] < 0) throw new Error(`${k} must be a non-negative number, got ${input[k]}`);
  }
  const docsDir = opts.docsDir ?? join(ROOT, 'docs');
  const dir = join(docsDir, 'reliability');
  mkdirSync(dir, { recursive: true });
  const stored: StoredCase = { ...input, durationMs: Math.round(input.durationMs), recordedAt: (opts.now?.() ?? new Date()).toISOString() };
  withLock(join(dir, '.lock'), () => {
    writeAtomic(join(dir, `${input.case}.json`), `${JSON.stringify(stored, null, 2)}\n`);
    writeAtomic(join(docsDir, 'RELIABILITY.md'), renderReliabilityMarkdown(readCases(dir)));
  });
}
