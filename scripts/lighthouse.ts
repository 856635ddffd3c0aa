/**
 * `npm run lighthouse [-- --runs=3] [-- --no-build] [-- --path=/#/record] [-- --cpu=2] [-- --keep]`
 *
 * Audits what a first visit gets, as `npm start` serves it: builds the app (vite build), starts
 * the real server (`src/server/main.ts`, the same launcher the tests use) on a free port with a
 * temporary data directory, and runs Lighthouse 12's CLI with its default mobile preset
 * (simulated throttling: slow 4G, 4× CPU slowdown) in the system Chromium (`CHROME_PATH`,
 * /usr/bin/chromium by default; nothing downloads a browser). Prints the four category scores
 * (the median run by performance when --runs > 1), the metrics behind performance, every audit
 * that did not pass, and the console errors. Not a test: scores move with the machine's load.
 *
 * Lighthouse's simulated throttling multiplies the CPU time it observes by 4, which assumes an idle
 * desktop-class host (its `benchmarkIndex` around 1500–2000); on a busy or slow host the page looks
 * slower than the phone it models. `--cpu=N` sets `throttling.cpuSlowdownMultiplier` (Lighthouse's
 * docs/throttling.md: calibrate the multiplier from the host's benchmarkIndex); the output prints
 * the benchmarkIndex and the load average so a figure can be judged. It also prints, from the
 * trace, the page's main-thread *CPU* time (each task's thread time, `tdur`: what the page itself
 * costs, unlike wall time it does not grow when other processes take the cores) and the part of
 * it in tasks over 50 ms (a load-independent stand-in for total blocking time, unthrottled).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServerProcess } from '../tests/support/server-process.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index'];

interface Audit {
  id: string;
  title: string;
  score: number | null;
  scoreDisplayMode: string;
  displayValue?: string;
  details?: { items?: Array<Record<string, unknown>> };
}
interface Report {
  lighthouseVersion: string;
  finalDisplayedUrl: string;
  environment: { benchmarkIndex: number };
  /** Added here from the trace (mainThreadCpu). */
  cpu?: { cpuMs: number; blockingCpuMs: number; tasks: number };
  categories: Record<string, { score: number | null; auditRefs: Array<{ id: string; weight: number }> }>;
  audits: Record<string, Audit>;
}

function flag(name: string): string | undefined {
  const a = process.argv.slice(2).find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { processId?: number; isOutermostMainFrame?: boolean } };
}

/** Main-thread CPU of the audited page, from a Lighthouse trace: all top-level tasks, and over-50 ms parts. */
function mainThreadCpu(traceEvents: TraceEvent[]): { cpuMs: number; blockingCpuMs: number; tasks: number } {
  // The navigation moves the page to a new renderer process: the last main-frame commit names it.
  const commits = traceEvents.filter((e) => e.name === 'FrameCommittedInBrowser' && e.args?.data?.isOutermostMainFrame);
  const pid = commits.at(-1)?.args?.data?.processId;
  const main = traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === pid);
  if (!main) throw new Error('no renderer main thread in the trace');
  let cpu = 0;
  let blocking = 0;
  let tasks = 0;
  for (const e of traceEvents) {
    if (e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || e.name !== 'RunTask' || e.tdur === undefined) continue;
    const ms = e.tdur / 1000;
    cpu += ms;
    blocking += Math.max(0, ms - 50);
    tasks++;
  }
  return { cpuMs: Math.round(cpu), blockingCpuMs: Math.round(blocking), tasks };
}

const pct = (s: number | null | undefined) => (s === null || s === undefined ? '—' : String(Math.round(s * 100)));

async function main(): Promise<void> {
  const runs = Number(flag('runs') ?? 1);
  const path = flag('path') ?? '/';
  const chrome = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  const cpu = flag('cpu');
  if (flag('no-build') === undefined) await run('npx', ['vite', 'build', '--logLevel', 'warn']);

  const work = mkdtempSync(join(tmpdir(), 'outbox-lighthouse-'));
  const server = await startServerProcess({ env: { LOG_LEVEL: 'info' } });
  const reports: Report[] = [];
  try {
    const url = `${server.url}${path}`;
    for (let i = 0; i < runs; i++) {
      const out = join(work, `report-${i}.json`);
      await run(
        'npx',
        [
          'lighthouse',
          url,
          '--quiet',
          '--output=json',
          `--output-path=${out}`,
          '--save-assets',
          '--chrome-flags=--headless=new --no-sandbox --disable-gpu',
          ...(cpu ? [`--throttling.cpuSlowdownMultiplier=${cpu}`] : []),
        ],
        { ...process.env, CHROME_PATH: chrome },
      );
      const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      report.cpu = mainThreadCpu((JSON.parse(readFileSync(out.replace(/\.json$/, '-0.trace.json'), 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents);
      reports.push(report);
      const last = reports.at(-1)!;
      process.stderr.write(
        `[lighthouse] run ${i + 1}/${runs}: performance ${pct(last.categories.performance?.score)}, main-thread CPU ${last.cpu?.cpuMs} ms (${last.cpu?.blockingCpuMs} ms over 50 ms), benchmarkIndex ${last.environment.benchmarkIndex}, load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  } finally {
    await server.stop();
    if (flag('keep') === undefined) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`[lighthouse] reports kept in ${work}\n`);
  }

  const sorted = [...reports].sort((a, b) => (a.categories.performance?.score ?? 0) - (b.categories.performance?.score ?? 0));
  const r = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const lines: string[] = [];
  lines.push(`Lighthouse ${r.lighthouseVersion}, mobile preset${cpu ? ` with CPU ×${cpu}` : ''}, ${r.finalDisplayedUrl}, host benchmarkIndex ${r.environment.benchmarkIndex}${runs > 1 ? ` (median of ${runs} runs by performance; all: ${reports.map((x) => pct(x.categories.performance?.score)).join(', ')})` : ''}`);
  lines.push('', '| performance | accessibility | best practices | SEO |', '|---|---|---|---|');
  lines.push(`| ${CATEGORIES.map((c) => pct(r.categories[c]?.score)).join(' | ')} |`, '');
  lines.push(METRICS.map((m) => `${r.audits[m]?.title}: ${r.audits[m]?.displayValue ?? '—'}`).join('; '), '');
  const cpus = reports.map((x) => x.cpu!.cpuMs).sort((a, b) => a - b);
  const blocking = reports.map((x) => x.cpu!.blockingCpuMs).sort((a, b) => a - b);
  const mid = (xs: number[]) => xs[Math.floor((xs.length - 1) / 2)];
  lines.push(`Page main-thread CPU (unthrottled thread time, median of ${reports.length}): ${mid(cpus)} ms in all tasks, ${mid(blocking)} ms over 50 ms per task`, '');

  // Audits that count towards a category and did not pass, plus the opportunities Lighthouse flags.
  const counted = new Set(CATEGORIES.flatMap((c) => r.categories[c]?.auditRefs.filter((a) => a.weight > 0).map((a) => a.id) ?? []));
  const failing = Object.values(r.audits).filter(
    (a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'notApplicable' && (counted.has(a.id) || a.scoreDisplayMode === 'metricSavings'),
  );
  lines.push(failing.length ? 'Audits that did not pass:' : 'Every scored audit passed.');
  for (const a of failing) lines.push(`- ${a.id} (${pct(a.score)}): ${a.title}${a.displayValue ? ` — ${a.displayValue}` : ''}`);
  const consoleErrors = r.audits['errors-in-console']?.details?.items ?? [];
  for (const item of consoleErrors) lines.push(`  console: ${String(item.description ?? item.source ?? JSON.stringify(item)).slice(0, 300)}`);
  console.log(lines.join('\n'));
}

await main();
