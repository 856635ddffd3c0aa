/** Every environment variable the tests and benchmarks read is documented in docs/TESTING.md. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('test knobs', () => {
  it('are all listed in docs/TESTING.md', () => {
    const read = new Set<string>();
    for (const file of [...sources('tests'), ...sources('bench')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(10);
    const doc = readFileSync(join(ROOT, 'docs', 'TESTING.md'), 'utf8');
    const listed = new Set([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!));
    expect([...read].filter((k) => !listed.has(k)).sort()).toEqual([]);
  });
});
