/** docs/API.md stays in step with the code: every error code with its status, every env var, every route. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATTERNS } from '../../src/server/routes/patterns.ts';
import { ROUTES } from '../../src/shared/api.ts';
import { ERRORS } from '../../src/shared/errors.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/API.md'), 'utf8');
const configSource = readFileSync(resolve(import.meta.dirname, '../../src/server/config.ts'), 'utf8');

describe('docs/API.md', () => {
  it('lists every error code of the catalogue with its status', () => {
    for (const [code, { status }] of Object.entries(ERRORS)) expect(doc).toContain(`| \`${code}\` | ${status} |`);
  });
  it('documents every environment variable the server reads', () => {
    const vars = [...configSource.matchAll(/env(?:\.|, ')([A-Z0-9_]{3,})/g)].map((m) => m[1]!);
    expect(vars.length).toBeGreaterThan(10);
    for (const v of new Set(vars)) expect(doc).toContain(`\`${v}\``);
  });
});

describe('route patterns', () => {
  it('match the shared ROUTES builders', () => {
    expect(ROUTES.video('X')).toBe(PATTERNS.video.replace(':id', 'X'));
    expect(ROUTES.file('X')).toBe(PATTERNS.file.replace(':id', 'X'));
    expect(ROUTES.sharedFile('X')).toBe(PATTERNS.sharedFile.replace(':shareId', 'X'));
    expect(ROUTES.sharePage('X')).toBe(PATTERNS.sharePage.replace(':shareId', 'X'));
  });
});
