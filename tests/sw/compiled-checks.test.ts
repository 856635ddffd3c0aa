/**
 * The worker's checks compiled from the zod contract at build time (src/shared/checks/compile.ts)
 * accept and reject exactly what the zod schemas do, on valid answers and messages and on every
 * field of them replaced by a wrong value, removed, or set to undefined; and the compiler refuses
 * a schema whose meaning JSON Schema would lose instead of dropping part of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { MimeType, Title } from '../../src/shared/api.ts';
import { CHECKED_SCHEMAS, type CheckName } from '../../src/shared/checks/checked.ts';
import * as zodChecks from '../../src/shared/checks/checks.ts';
import { checkableJsonSchema, compileChecks } from '../../src/shared/checks/compile.ts';

type Checks = Record<CheckName, (data: unknown) => unknown>;

const ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const SID = 'AbCdEfGhIjKlMnOpQrStUv';
const SHA = 'ab'.repeat(32);

const STATUS = {
  videoId: SID, sessionId: SID, recordingId: ID, title: 'Demo', mimeType: 'video/webm', state: 'complete',
  createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z', completedAt: '2026-12-01T00:01:00Z',
  totalChunks: 3, chunks: [[0, 2]], receivedChunks: 3, assembledChunks: 3, bytes: 1000, sha256: SHA,
  recordedSha256: SHA, fileSha256: null, chunksDigest: SHA, durationMs: 6000, seekable: true, posterUrl: null,
  missing: [], partial: false, shareUrl: 'http://x/s/abc', videoUrl: 'http://x/v',
};
const SAMPLES: Record<CheckName, unknown[]> = {
  checkVideoStatus: [STATUS, { ...STATUS, recordedSha256: undefined, fileSha256: undefined, chunksDigest: undefined, durationMs: undefined, seekable: undefined, posterUrl: undefined, sha256: null, state: 'open', title: null, completedAt: null, totalChunks: null, videoUrl: null }],
  checkChunkResponse: [{ index: 0, size: 10, sha256: SHA, duplicate: false }],
  checkFinalizeResponse: [
    { status: 'complete', videoId: SID, videoUrl: '/v', shareUrl: '/s', size: 10, sha256: null, chunksDigest: SHA, totalChunks: 2, partial: true, missing: [[1, 1]] },
    { status: 'incomplete', videoId: SID, totalChunks: 4, receivedChunks: 2, missing: [[2, 3]] },
  ],
  checkErrorBody: [{ error: { code: 'digest_mismatch', message: 'no', details: { index: 3 } } }, { error: { code: 'rate_limited', message: '' } }],
  checkPageMessage: [
    { type: 'outbox/chunk-added', recordingId: ID, index: 3 },
    { type: 'outbox/recording-stopped', recordingId: ID, totalChunks: 0 },
    { type: 'pipeline/drain' },
    { type: 'pipeline/retry', recordingId: ID },
    { type: 'pipeline/progress-request' },
    { type: 'settings/changed' },
    { type: 'auth/token-changed' },
  ],
  checkSettings: [{}, { concurrency: 4, maxAttempts: 1, backoffBaseMs: 100, jitterRatio: 0.5, bandwidthCapKbps: 0, chunkMs: 10_000, keepLocalCopy: false }],
};

/** Values a wrong or hostile answer could put in any field. */
const WRONG = [
  null, '', 'x', 'complete', 'pipeline/drain', 'digest_mismatch', ID, ID.toUpperCase(), SID, SHA, SHA.toUpperCase(), `${SID}=`,
  0, -1, 1, 4, 5, 1.5, 0.25, 2 ** 53, -(2 ** 53), Number.NaN, Infinity, true, false, {}, [], [0, 1], [[0, 1]], [[1]], [[0, 1, 2]], [[-1, 0]], [['0', 1]],
  { code: 'x', message: 'y' }, { index: 1 },
];

/** Every variant of a sample with one field (at any depth) replaced, removed, or set to undefined. */
function* variants(value: unknown, path: string[] = []): Generator<[string, unknown]> {
  if (value === null || typeof value !== 'object') return;
  const keys = Object.keys(value);
  for (const key of keys) {
    const rest = (v: unknown) => (Array.isArray(value) ? value.map((x, i) => (String(i) === key ? v : x)) : { ...value, [key]: v });
    const at = [...path, key].join('.');
    for (const w of [...WRONG, undefined]) yield [`${at} = ${String(JSON.stringify(w))}`, rest(w)];
    if (!Array.isArray(value)) {
      const { [key]: _, ...without } = value as Record<string, unknown>;
      yield [`${at} removed`, without];
    }
    for (const [what, inner] of variants((value as Record<string, unknown>)[key], [...path, key])) yield [what, rest(inner)];
  }
  if (!Array.isArray(value)) yield [`${path.join('.') || 'top'} + unknown field`, { ...value, extra: 1 }];
}

const withoutUndefined = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(withoutUndefined)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, withoutUndefined(x)]))
      : v;

let dir: string;
let compiled: Checks;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-checks-'));
  const file = join(dir, 'checks.mjs');
  writeFileSync(file, compileChecks());
  compiled = (await import(pathToFileURL(file).href)) as Checks;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compiled checks', () => {
  const names = Object.keys(CHECKED_SCHEMAS) as CheckName[];

  it.each(names)('%s: accepts every sample and answers what zod answers', (name) => {
    const zod = (zodChecks as unknown as Checks)[name];
    for (const sample of SAMPLES[name]) {
      expect(zod(structuredClone(sample)), 'zod accepts the sample').not.toBeNull();
      expect(compiled[name](structuredClone(sample))).toEqual(zod(structuredClone(sample)));
    }
  });

  it.each(names)('%s: rejects exactly what zod rejects, field by field', (name) => {
    const zod = (zodChecks as unknown as Checks)[name];
    const disagreements: string[] = [];
    let rejected = 0;
    const wholes: [string, unknown][] = [null, undefined, 'x', 42, [], [SAMPLES[name][0]]].map((w) => [`whole = ${String(JSON.stringify(w))}`, w]);
    for (const sample of SAMPLES[name]) {
      for (const [what, bad] of [...wholes, ...variants(sample)]) {
        const byZod = zod(structuredClone(bad));
        const byCompiled = compiled[name](structuredClone(bad));
        if ((byZod === null) !== (byCompiled === null)) disagreements.push(`${what}: zod ${byZod === null ? 'rejects' : 'accepts'}`);
        // zod keeps an optional key given as undefined, the compiled check drops it: the same to a reader.
        else if (byZod !== null) expect(byCompiled, what).toMatchObject(withoutUndefined(byZod) as object);
        if (byZod === null) rejected++;
      }
    }
    expect(disagreements).toEqual([]);
    expect(rejected).toBeGreaterThan(20);
  });

  it('fills in the settings defaults, as zod does', () => {
    expect(compiled.checkSettings({ concurrency: 3, maxAttempts: undefined })).toEqual({
      concurrency: 3, maxAttempts: 5, backoffBaseMs: 1000, jitterRatio: 0.1, bandwidthCapKbps: 0, chunkMs: 2000, keepLocalCopy: true,
    });
  });

  it('contains no eval and no Function constructor', () => {
    const code = compileChecks();
    expect(code).not.toMatch(/\bnew\s+Function\s*\(|(?<![\w$.])Function\s*\(|(?<![\w$.])eval\s*\(/);
    expect(code).not.toMatch(/\brequire\(|^import /m);
  });
});

describe('the compiler refuses what JSON Schema would not say', () => {
  it.each([
    ['a refinement and a trim (Title)', Title],
    ['a regex with the i flag (MimeType)', MimeType],
    ['a non-ASCII regex', z.string().check(z.regex(/^é$/))],
    ['a transform', z.pipe(z.string(), z.transform(Number))],
  ])('%s', (_, schema) => {
    expect(() => checkableJsonSchema('test', schema as z.ZodMiniType)).toThrow();
  });

  it('keeps zod’s own pattern for a format, and drops the format keyword', () => {
    expect(checkableJsonSchema('test', z.uuid())).toEqual({ type: 'string', pattern: expect.stringMatching(/^\^/) });
  });
});
