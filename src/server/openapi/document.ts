/**
 * Builds the OpenAPI 3.1 document from operations.ts and the zod contract of src/shared/api.ts.
 * Schemas come from zod 4's own JSON Schema output (`z.toJSONSchema`, draft 2020-12, which is
 * OpenAPI 3.1's schema dialect), so the document cannot drift from what the server validates.
 */
import * as z from 'zod/mini';
import * as contract from '../../shared/api.ts';
import { ErrorBody, ServerId } from '../../shared/api.ts';
import { ERRORS, type ErrorCode } from '../../shared/errors.ts';
import { OPERATIONS, type Answer, type Method, type OperationDoc } from './operations.ts';

type Json = Record<string, unknown>;

/** Exports of api.ts that are another schema under a second name. */
const ALIASES = new Set(['InitResponse']);

const ALWAYS: ErrorCode[] = ['internal_error', 'service_unavailable'];
const AUTHENTICATED: ErrorCode[] = ['unauthorized', 'rate_limited'];
const JSON_BODY: ErrorCode[] = ['invalid_json', 'unsupported_media_type', 'body_too_large'];

/** `/api/v1/videos/:id` → `/api/v1/videos/{id}` (OpenAPI path templating). */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** Every catalogue code an operation can answer, its own and the common ones. */
export function errorCodesOf(op: OperationDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>([...op.errors, ...ALWAYS]);
  if (!op.public && op.path.startsWith('/api/')) for (const c of AUTHENTICATED) codes.add(c);
  if (op.body && 'json' in op.body) for (const c of JSON_BODY) codes.add(c);
  return [...codes];
}

/** One registry of named schemas: each becomes `#/components/schemas/<name>`, nested ones by $ref. */
function componentSchemas(ops: readonly OperationDoc[]): { schemas: Json; ref: (s: z.ZodMiniType) => Json } {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodMiniType, string>();
  const add = (schema: z.ZodMiniType, id: string) => {
    if (names.has(schema)) return;
    names.set(schema, id);
    registry.add(schema, { id });
  };
  add(ErrorBody, 'ErrorBody');
  add(ServerId, 'ServerId');
  // The exported constant's name is the component's name; an alias keeps its original's name.
  for (const [name, value] of Object.entries(contract)) {
    if (value instanceof z.ZodMiniType && !ALIASES.has(name) && usedBy(ops, value)) add(value, name);
  }
  const out = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Json> };
  for (const s of Object.values(out.schemas)) delete s.$schema;
  return {
    schemas: out.schemas,
    ref: (s) => {
      const name = names.get(s);
      if (!name) throw new Error('schema not registered for the OpenAPI document');
      return { $ref: `#/components/schemas/${name}` };
    },
  };
}

function usedBy(ops: readonly OperationDoc[], schema: z.ZodMiniType): boolean {
  return ops.some((op) => (op.body && 'json' in op.body && op.body.json === schema) || Object.values(op.answers).some((a) => a.json === schema));
}

function errorAnswers(codes: readonly ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERRORS[c].status, [...(byStatus.get(ERRORS[c].status) ?? []), c]);
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    list.sort();
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERRORS[c].message}`).join(' '),
      ...(status === 429 || status === 503 ? { headers: { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } } : {}),
      ...(status === 416 ? { headers: { 'content-range': { description: '`bytes */size`', schema: { type: 'string' } } } } : {}),
      content: {
        'application/json': {
          // ErrorBody, with `code` narrowed to the codes this route answers with this status.
          schema: { $ref: '#/components/schemas/ErrorBody', properties: { error: { properties: { code: { enum: list } } } } },
        },
      },
    };
  }
  return out;
}

function answer(a: Answer, ref: (s: z.ZodMiniType) => Json): Json {
  const headers = a.headers ? Object.fromEntries(Object.entries(a.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) : undefined;
  const content = a.json ? { 'application/json': { schema: ref(a.json) } } : a.media ? { [a.media]: {} } : undefined;
  return { description: a.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
}

function operation(op: OperationDoc, ref: (s: z.ZodMiniType) => Json): Json {
  const params: Json[] = [];
  for (const [, name] of op.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    params.push({ name, in: 'path', required: true, description: 'A server id; anything else answers 404.', schema: ref(ServerId) });
  }
  if (op.query) {
    const schema = z.toJSONSchema(op.query, { target: 'draft-2020-12', io: 'input' }) as { properties: Record<string, Json>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties)) params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
  }
  for (const [name, [required, description]] of Object.entries(op.headers ?? {})) params.push({ name, in: 'header', required, description, schema: { type: 'string' } });
  const responses: Json = {};
  for (const [status, a] of Object.entries(op.answers)) responses[status] = answer(a, ref);
  Object.assign(responses, errorAnswers(errorCodesOf(op)));
  const body = op.body
    ? 'json' in op.body
      ? { required: true, content: { 'application/json': { schema: ref(op.body.json) } } }
      : { required: true, description: op.body.description, content: { [op.body.media]: { schema: { type: 'string', contentMediaType: op.body.media } } } }
    : undefined;
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    ...(op.public ? { security: [] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/**
 * The document for the routes `served` says fastify has (planned entries are left out until
 * their route exists).
 */
export function buildOpenApiDocument(served: (method: Method, path: string) => boolean, ops: readonly OperationDoc[] = OPERATIONS): Json {
  const live = ops.filter((op) => served(op.method, op.path));
  const { schemas, ref } = componentSchemas(live);
  const paths: Record<string, Json> = {};
  for (const op of live) (paths[openApiPath(op.path)] ??= {})[op.method] = operation(op, ref);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Outbox Recorder API',
      version: '1',
      description: 'Upload recordings chunk by chunk while they are recorded. Prose, rules and durability: docs/API.md.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token made with `npm run user -- add NAME`.' } },
      schemas,
    },
  };
}
