/** The report writer: one JSON per case, and a Markdown table regenerated from all of them. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordReliabilityCase, type ReliabilityCase } from '../support/reliability-report.ts';

const docsDir = mkdtempSync(join(tmpdir(), 'outbox-report-'));
afterAll(() => rmSync(docsDir, { recursive: true, force: true }));

const base: ReliabilityCase = { case: 'b-case', fault: 'a | pipe', bytesRecorded: 2048, bytesStored: 2048, chunks: 2, duplicatesStored: 0, sha256Match: true, durationMs: 1234.4 };

describe('recordReliabilityCase', () => {
  it('writes the case JSON and a table row per case, replacing a re-recorded case', () => {
    recordReliabilityCase(base, { docsDir });
    recordReliabilityCase({ ...base, case: 'a-case', sha256Match: false, env: { FAULT_KILLS: '3' } }, { docsDir });
    recordReliabilityCase({ ...base, notes: 'second run' }, { docsDir });
    expect(readdirSync(join(docsDir, 'reliability')).sort()).toEqual(['a-case.json', 'b-case.json']);
    expect(JSON.parse(readFileSync(join(docsDir, 'reliability', 'b-case.json'), 'utf8'))).toMatchObject({ notes: 'second run', durationMs: 1234 });
    const md = readFileSync(join(docsDir, 'RELIABILITY.md'), 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('`a-case`');
    expect(rows[0]).toContain('**NO**');
    expect(rows[0]).toContain('FAULT_KILLS=3');
    expect(rows[1]).toContain('a \\| pipe');
    expect(rows[1]).toContain('second run');
    expect(md).toContain('npm test');
    expect(md).toContain('LOAD_CHUNKS');
  });

  it('refuses names that are not kebab-case and negative figures', () => {
    expect(() => recordReliabilityCase({ ...base, case: '../x' }, { docsDir })).toThrow(/kebab-case/);
    expect(() => recordReliabilityCase({ ...base, chunks: -1 }, { docsDir })).toThrow(/chunks/);
  });
});
