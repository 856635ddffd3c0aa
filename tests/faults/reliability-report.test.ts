/**
 * The report writer: tests write one JSON per case into an ignored folder; publishing copies them
 * into the docs and regenerates the Markdown table from every published case.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishReliabilityReport, recordReliabilityCase, RESULTS_DIR, storedDuplicates, type ReliabilityCase } from '../support/reliability-report.ts';

const tmp = mkdtempSync(join(tmpdir(), 'outbox-report-'));
const results = join(tmp, 'results');
const docsDir = join(tmp, 'docs');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base: ReliabilityCase = { case: 'b-case', fault: 'a | pipe', bytesRecorded: 2048, bytesStored: 2048, chunks: 2, duplicatesStored: 0, sha256Match: true, durationMs: 1234.4 };

describe('recordReliabilityCase', () => {
  it('writes only the case JSON, replacing a re-recorded case; no Markdown', () => {
    recordReliabilityCase(base, { dir: results });
    recordReliabilityCase({ ...base, notes: 'second run' }, { dir: results });
    expect(readdirSync(results)).toEqual(['b-case.json']);
    expect(JSON.parse(readFileSync(join(results, 'b-case.json'), 'utf8'))).toMatchObject({ notes: 'second run', durationMs: 1234 });
  });

  it('writes by default into a folder git ignores, so a test run leaves the tree clean', () => {
    const root = resolve(import.meta.dirname, '../..');
    const probe = relative(root, join(RESULTS_DIR, 'any-case.json'));
    // check-ignore exits 0 and echoes the path only when it is ignored.
    expect(execFileSync('git', ['check-ignore', probe], { cwd: root, encoding: 'utf8' }).trim()).toBe(probe);
  });

  it('refuses names that are not kebab-case and negative figures', () => {
    expect(() => recordReliabilityCase({ ...base, case: '../x' }, { dir: results })).toThrow(/kebab-case/);
    expect(() => recordReliabilityCase({ ...base, chunks: -1 }, { dir: results })).toThrow(/chunks/);
  });
});

describe('publishReliabilityReport', () => {
  it('copies the records into the docs and renders a row per case, keeping cases not re-run', () => {
    recordReliabilityCase({ ...base, case: 'old-case', notes: 'published earlier' }, { dir: join(docsDir, 'reliability') });
    recordReliabilityCase({ ...base, case: 'a-case', sha256Match: false, env: { FAULT_KILLS: '3' } }, { dir: results });
    expect(publishReliabilityReport({ from: results, docsDir }).sort()).toEqual(['a-case', 'b-case']);
    expect(readdirSync(join(docsDir, 'reliability')).sort()).toEqual(['a-case.json', 'b-case.json', 'old-case.json']);
    const md = readFileSync(join(docsDir, 'RELIABILITY.md'), 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('`a-case`');
    expect(rows[0]).toContain('**NO**');
    expect(rows[0]).toContain('FAULT_KILLS=3');
    expect(rows[1]).toContain('a \\| pipe');
    expect(rows[1]).toContain('second run');
    expect(rows[2]).toContain('published earlier');
    expect(md).toContain('npm run report');
    expect(md).toContain('LOAD_CHUNKS');
  });

  it('says so when there is nothing to publish', () => {
    expect(() => publishReliabilityReport({ from: join(tmp, 'none'), docsDir })).toThrow(/run the fault suites first/);
  });
});

describe('storedDuplicates', () => {
  const held = { receivedChunks: 4, chunks: [[0, 1], [3, 4]] as Array<[number, number]>, bytes: 400 };
  it('is 0 when every held index is one record and the bytes match what was recorded', () => {
    expect(storedDuplicates(held, 400)).toBe(0);
  });
  it('counts chunk records beyond one per held index', () => {
    expect(storedDuplicates({ ...held, receivedChunks: 6 }, 400)).toBe(2);
  });
  it('counts a chunk stored twice when the recorded bytes held exceed the recording', () => {
    expect(storedDuplicates({ ...held, bytes: 500 }, 400)).toBe(1);
  });
});
