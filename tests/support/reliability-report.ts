/**
 * The reliability report: every fault case (server faults, hostile input, load, and the browser
 * fault matrix) records one JSON file `<case>.json` in the git-ignored `test-results/reliability/`,
 * so a test run never changes a tracked file. `npm run report` (publish-reliability.ts) then copies
 * those records into the committed `docs/reliability/` and regenerates `docs/RELIABILITY.md` from
 * every case there, on purpose, when a run's figures are worth keeping.
 *
 * Records are written atomically (temp file + rename): vitest runs test files in parallel workers,
 * and a reader must never see half a JSON file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Where tests write their records (git-ignored). */
export const RESULTS_DIR = join(ROOT, 'test-results', 'reliability');
/** Where `npm run report` publishes them. */
export const DOCS_DIR = join(ROOT, 'docs');

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

export interface RecordOptions {
  /** Folder the case's JSON goes to; default `test-results/reliability/`. */
  dir?: string;
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

Generated from \`docs/reliability/*.json\` by \`npm run report\`; each row is the latest published
run of one fault case. Do not edit by hand: the tests write their records to the git-ignored
\`test-results/reliability/\`, and \`npm run report\` copies them here and rewrites this page.

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
npm run report                         # publish test-results/reliability/ here
\`\`\`

Scaling variables (CI uses the defaults):

${KNOWN_ENV.map(([k, v]) => `- \`${k}\`: ${v}`).join('\n')}
`;
}

/** Writes `<case>.json` into `test-results/reliability/` (or `opts.dir`); nothing tracked changes. */
export function recordReliabilityCase(input: ReliabilityCase, opts: RecordOptions = {}): void {
  if (!CASE_NAME.test(input.case)) throw new Error(`case name must be kebab-case, got ${JSON.stringify(input.case)}`);
  for (const k of ['bytesRecorded', 'bytesStored', 'chunks', 'duplicatesStored', 'durationMs'] as const) {
    if (!Number.isFinite(input[k]) || input[k] < 0) throw new Error(`${k} must be a non-negative number, got ${input[k]}`);
  }
  const dir = opts.dir ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const stored: StoredCase = { ...input, durationMs: Math.round(input.durationMs), recordedAt: (opts.now?.() ?? new Date()).toISOString() };
  writeAtomic(join(dir, `${input.case}.json`), `${JSON.stringify(stored, null, 2)}\n`);
}

/**
 * Copies every record of `from` into `<docsDir>/reliability/` (a case recorded again replaces its
 * older record; cases not re-run keep theirs) and regenerates `<docsDir>/RELIABILITY.md` from all
 * of them. Returns the names of the cases copied.
 */
export function publishReliabilityReport(opts: { from?: string; docsDir?: string } = {}): string[] {
  const from = opts.from ?? RESULTS_DIR;
  const docsDir = opts.docsDir ?? DOCS_DIR;
  const dir = join(docsDir, 'reliability');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(from)) throw new Error(`no reliability records in ${from}: run the fault suites first`);
  const records = readCases(from);
  for (const c of records) writeAtomic(join(dir, `${c.case}.json`), `${JSON.stringify(c, null, 2)}\n`);
  writeAtomic(join(docsDir, 'RELIABILITY.md'), renderReliabilityMarkdown(readCases(dir)));
  return records.map((c) => c.case);
}

/** What the server says it holds for one video (the fields of `VideoStatus` this needs). */
export interface HeldVideo {
  receivedChunks: number;
  chunks: ReadonlyArray<readonly [number, number]>;
  bytes: number;
}

/**
 * Chunks a video holds more than once, measured from the server's own answers: chunk records
 * beyond one per held index, or — when the counts agree but the recorded bytes it holds exceed
 * what was recorded — at least one chunk stored twice. (The served file is no measure: a seekable
 * WebM serves a rewritten head.)
 */
export function storedDuplicates(video: HeldVideo, recordedBytes: number): number {
  const heldIndices = video.chunks.reduce((n, [a, b]) => n + (b - a + 1), 0);
  const extraRecords = Math.max(0, video.receivedChunks - heldIndices);
  const extraBytes = video.bytes > recordedBytes ? 1 : 0;
  return Math.max(extraRecords, extraBytes);
}
