/**
 * Property tests over bodies, headers and ids: every bad input is a 4xx with a code from the
 * catalogue, the JSON error shape, and nothing is stored. Runs scale with OUTBOX_FUZZ_RUNS.
 */
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../src/shared/api.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { ERRORS } from '../../src/shared/errors.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, sha256, type Answer, type Client } from './helpers.ts';

const RUNS = Number(process.env.OUTBOX_FUZZ_RUNS ?? 40);
let server: TestServer;
let c: Client;
let id: string;

beforeAll(async () => {
  server = await startTestServer({ env: { OUTBOX_MAX_CHUNK_BYTES: '4096', OUTBOX_MAX_CHUNK_INDEX: '100' } });
  c = client(server.url, await server.createUser('fuzz'));
  id = (await c.init()).json.sessionId;
});
afterAll(() => server.stop());

function expectClientError(a: Answer): void {
  expect(a.status).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
  const body = ErrorBody.parse(a.json);
  expect(ERRORS[body.error.code].status).toBe(a.status);
}

async function expectNothingStored(): Promise<void> {
  expect((await c.status(id)).json.receivedChunks).toBe(0);
  expect((await c.list()).json.videos).toHaveLength(1);
  expect(readdirSync(join(server.dataDir, 'tmp', 'incoming'))).toEqual([]);
}

const junkString = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
/** Only values fetch can send as a header (the server never sees the others). */
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const badIndex = fc.oneof(
  fc.integer({ min: -1e12, max: -1 }).map(String),
  fc.integer({ min: 101, max: 1e15 }).map(String),
  fc.double({ noInteger: true, noNaN: true }).map(String),
  fc.stringMatching(/^[^0-9]{1,10}$/),
  fc.constant(''),
);

describe('fuzzed bad inputs', () => {
  it('chunk: bad digests, indices, session ids and content types are 4xx and store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 512 }),
        fc.oneof(
          fc.record({ kind: fc.constant('digest' as const), digest: fc.oneof(headerValue, headerValue.map((v) => `sha-256=:${v}:`), fc.constant(null)) }),
          fc.record({ kind: fc.constant('wrong-digest' as const), other: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
          fc.record({ kind: fc.constant('index' as const), index: badIndex }),
          fc.record({ kind: fc.constant('session' as const), session: junkString }),
          fc.record({ kind: fc.constant('ctype' as const), ctype: fc.constantFrom('application/json', 'text/plain', 'video/webm', 'multipart/form-data; boundary=x') }),
        ),
        async (bytes, bad) => {
          let a: Answer;
          const body = Buffer.from(bytes);
          if (bad.kind === 'digest') {
            // A junk string might by chance be a valid digest of these bytes: astronomically unlikely.
            a = await c.chunk(id, 0, body, { digest: bad.digest });
          } else if (bad.kind === 'wrong-digest') {
            const other = Buffer.concat([body, Buffer.from(bad.other)]);
            a = await c.chunk(id, 0, body, { digest: formatContentDigest(sha256(other)) });
          } else if (bad.kind === 'index') {
            a = await c.chunk(id, 0, body, { query: `sessionId=${id}&index=${encodeURIComponent(bad.index)}` });
          } else if (bad.kind === 'session') {
            a = await c.chunk(bad.session, 0, body);
          } else {
            a = await c.chunk(id, 0, body, { contentType: bad.ctype });
          }
          expectClientError(a);
        },
      ),
      { numRuns: RUNS },
    );
    await expectNothingStored();
  });

  it('init and finalize: arbitrary JSON and non-JSON bodies are 4xx and create nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json().filter((j) => !/recordingId/.test(j)),
          junkString,
          fc.record({ recordingId: junkString, mimeType: junkString }).map((o) => JSON.stringify(o)),
          fc.record({ sessionId: fc.oneof(junkString, fc.constant(id)), totalChunks: fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true }), junkString) }).map((o) => JSON.stringify(o)),
        ),
        async (raw) => {
          expectClientError(await c.initRaw(raw));
          expectClientError(await c.finalizeRaw(raw));
        },
      ),
      { numRuns: RUNS },
    );
    await expectNothingStored();
  });

  it('ids in paths: anything that is not one of my ids is 404, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 60 }), async (raw) => {
        const seg = encodeURIComponent(raw);
        for (const path of [`/api/v1/videos/${seg}`, `/api/v1/videos/${seg}/file`, `/api/v1/shared/${seg}/file`]) {
          const r = await c.get(path);
          expect(r.status).toBe(404);
          expect(ErrorBody.parse(JSON.parse(r.bytes.toString())).error.code).toBe('not_found');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('headers: arbitrary Authorization values are 401 unauthorized', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,80}$/), async (auth) => {
        const res = await fetch(`${server.url}/api/v1/videos`, { headers: { authorization: auth } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as ErrorBody).error.code).toBe('unauthorized');
      }),
      { numRuns: RUNS },
    );
  });
});
