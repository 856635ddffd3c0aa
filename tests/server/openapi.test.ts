/**
 * The OpenAPI 3.1 document: valid by an OpenAPI validator, served publicly and cacheably, and
 * complete — every route fastify registers and every catalogue code is in it. Routes are seen
 * through fastify's own onRoute hook, added to the real server as it is built.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { buildOpenApiDocument, openApiPath } from '../../src/server/openapi/document.ts';
import { APP_ROUTES, OPERATIONS } from '../../src/server/openapi/operations.ts';
import { ERROR_CODES } from '../../src/shared/errors.ts';

type Route = { method: string; url: string };
const seen = vi.hoisted(() => new Map<object, Array<{ method: string; url: string }>>());

// Every fastify instance built in this file reports its routes (the real onRoute hook).
vi.mock('fastify', async (importOriginal) => {
  const mod = await importOriginal<typeof import('fastify')>();
  const make = ((opts: Parameters<typeof mod.default>[0]) => {
    const app = mod.default(opts);
    const routes: Route[] = [];
    seen.set(app, routes);
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) routes.push({ method: method.toLowerCase(), url: r.url });
    });
    return app;
  }) as unknown as typeof mod.default;
  return { ...mod, default: make };
});

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** Registered routes the document does not describe (HEAD twins of GETs and the web app aside). */
function undocumented(routes: Route[], doc: Doc): string[] {
  return routes
    .filter((r) => r.method !== 'head' && !APP_ROUTES.some((a) => a.method === r.method && a.path === r.url))
    .filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method])
    .map((r) => `${r.method.toUpperCase()} ${r.url}`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'outbox-openapi-'));
let app: FastifyInstance;
let url: string;

function server(): FastifyInstance {
  return buildServer(loadConfig({ OUTBOX_DATA_DIR: dataDir, OUTBOX_STATIC_DIR: join(import.meta.dirname, '../../dist'), LOG_LEVEL: 'warn' }));
}

beforeAll(async () => {
  app = server();
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const fetchDoc = async () => (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as Doc;

describe('GET /api/v1/openapi.json', () => {
  it('is public and cacheable, with an ETag that revalidates', async () => {
    const res = await fetch(`${url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const etag = res.headers.get('etag')!;
    expect((await res.json()) as { openapi: string }).toMatchObject({ openapi: '3.1.0' });
    expect((await fetch(`${url}/api/v1/openapi.json`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(await fetchDoc());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route fastify registered, and every described route is served', async () => {
    const routes = seen.get(app)!;
    expect(routes.length).toBeGreaterThan(5);
    const doc = await fetchDoc();
    expect(undocumented(routes, doc)).toEqual([]);
    for (const op of OPERATIONS.filter((o) => !o.planned)) {
      expect(routes, `${op.method} ${op.path} described but not served`).toContainEqual({ method: op.method, url: op.path });
    }
  });

  it('names every code of the error catalogue in some answer', async () => {
    const text = JSON.stringify(await fetchDoc());
    const named = new Set([...text.matchAll(/"enum":\[([^\]]*)\]/g)].flatMap((m) => JSON.parse(`[${m[1]}]`) as string[]));
    expect(ERROR_CODES.filter((c) => !named.has(c))).toEqual([]);
  });

  it('takes request and answer schemas from the zod contract', async () => {
    const doc = (await fetchDoc()) as Doc & { components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> } };
    expect(doc.components.schemas.VideoStatus!.required).toContain('recordingId');
    expect(Object.keys(doc.components.schemas.InitRequest!.properties!)).toEqual(['recordingId', 'mimeType', 'startedAt', 'title']);
    expect(doc.paths['/api/v1/videos/chunk']!.post!).toMatchObject({ requestBody: { content: { 'application/octet-stream': {} } } });
  });

  it('would fail for a route added without a description', async () => {
    const other = server();
    other.get('/api/v1/videos/:id/thumbnail', async () => ({}));
    await other.ready();
    const doc = buildOpenApiDocument((method, path) => other.hasRoute({ method: method.toUpperCase() as 'GET', url: path })) as Doc;
    expect(undocumented(seen.get(other)!, doc)).toEqual(['GET /api/v1/videos/:id/thumbnail']);
    await other.close();
  });
});
