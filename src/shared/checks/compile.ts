/**
 * Build time only (Node; never bundled): compiles the checks of checked.ts from the zod contract
 * to plain JavaScript, and the Vite plugin that serves that code in place of checks.ts.
 *
 * zod schema → JSON Schema draft-07 (`z.toJSONSchema`, input side: optional fields may be absent,
 * unknown fields are allowed as zod's objects allow them, a field's default is filled in) →
 * @exodus/schemasafe's module code: one function per check returning a boolean, no error objects,
 * no `eval`/`new Function` at run time (the app's CSP has no 'unsafe-eval'), no zod (~9 KB
 * gzipped of the service worker). Ajv's standalone code was measured too: it builds an error
 * object at every check and weighed 7.1 KB gzipped for these six shapes, schemasafe's 2.3 KB.
 *
 * It is regenerated on every build from the schemas themselves, so it cannot drift from the
 * contract. What JSON Schema cannot say — a refinement, a transform, pipe or trimming check, a
 * regex with flags (toJSONSchema keeps only its source) or one the u flag could change, a format
 * without zod's own pattern beside it — fails the build instead of being dropped silently.
 * tests/sw/compiled-checks.test.ts holds the compiled checks to zod's answers.
 */
import { validator } from '@exodus/schemasafe';
import type { Plugin } from 'vite';
import * as z from 'zod/mini';
import { CHECKED_SCHEMAS, type CheckName } from './checked.ts';

type ZodInternals = { _zod: { def: { type: string; checks?: ZodInternals[]; check?: string; pattern?: unknown } } };

/** Schema kinds whose check would return other data than it was given, or run code JSON Schema cannot. */
const UNCHECKABLE_TYPES = new Set(['pipe', 'transform', 'catch', 'prefault', 'custom']);

/** Throws on a schema whose meaning JSON Schema would lose (see the header). */
function refuseUnrepresentable(where: string, schema: ZodInternals, json: Record<string, unknown>): void {
  const { def } = schema._zod;
  if (UNCHECKABLE_TYPES.has(def.type)) throw new Error(`checks: ${where} is a ${def.type}, which a check compiled from JSON Schema cannot run`);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  for (const { check } of checks) {
    if (check === 'custom' || check === 'overwrite') throw new Error(`checks: ${where} has a ${check} check that JSON Schema cannot express`);
  }
  for (const re of [def, ...checks].map((d) => d.pattern).filter((p): p is RegExp => p instanceof RegExp)) {
    if (re.flags !== '') throw new Error(`checks: ${where} has the regex /${re.source}/${re.flags}; its flags would be lost`);
    // schemasafe compiles every pattern with the u flag, zod without: the same only for ASCII
    // patterns without \p{…} or \u{…}.
    if (!/^[\x20-\x7e]*$/.test(re.source) || /\\[pP]|\\u\{/.test(re.source)) throw new Error(`checks: ${where} has the regex /${re.source}/, which the u flag could change`);
  }
  if (json.format !== undefined) {
    // zod emits its own regex beside a format (uuid, datetime…): that regex is what zod runs, so
    // it is what is checked here; a validator's idea of the format could differ from zod's.
    if (typeof json.pattern !== 'string') throw new Error(`checks: ${where} has the format ${String(json.format)} without zod's pattern`);
    delete json.format;
  }
}

/** The JSON Schema a zod schema's check enforces; throws where it would not mean the same (see the header). */
export function checkableJsonSchema(name: string, schema: z.ZodMiniType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'throw',
    override: (ctx) =>
      refuseUnrepresentable(`${name}${ctx.path.map((p) => `/${String(p)}`).join('')}`, ctx.zodSchema as unknown as ZodInternals, ctx.jsonSchema),
  });
  return json;
}

function checkJsonSchemas(): Record<CheckName, Record<string, unknown>> {
  const out = {} as Record<CheckName, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(CHECKED_SCHEMAS) as [CheckName, z.ZodMiniType][]) out[name] = checkableJsonSchema(name, schema);
  return out;
}

/**
 * A copy of plain objects (recursively) without their keys whose value is `undefined`: zod treats
 * such a key as absent (an optional field passes, a default is filled in), JSON Schema as present.
 * Messages and stored settings are structured clones, which keep such keys; JSON never has them.
 * Hand-written because JSON Schema validators, schemasafe included, check a key present with the
 * value undefined against the field's schema (and fail it), and have no option to do otherwise.
 */
const DEFINED = `const defined = (v) => {
  if (Array.isArray(v)) return v.map(defined);
  if (v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out = {};
  for (const k of Object.keys(v)) if (v[k] !== undefined) out[k] = defined(v[k]);
  return out;
};`;

/** ES module source exporting the functions checks.ts declares, compiled from the schemas. */
export function compileChecks(): string {
  const schemas = checkJsonSchemas();
  const lines = (Object.keys(schemas) as CheckName[]).map((name) => {
    const validate = validator(schemas[name] as Parameters<typeof validator>[0], {
      includeErrors: false,
      // Fill in defaults where the schema has some (settings); schemasafe refuses the option
      // elsewhere, under a oneOf whose branch it cannot know in advance.
      useDefaults: JSON.stringify(schemas[name]).includes('"default":'),
      $schemaDefault: 'http://json-schema.org/draft-07/schema#',
    });
    return `const valid_${name} = /* @__PURE__ */ ${validate.toModule()};\nexport const ${name} = (data) => { const d = defined(data); return valid_${name}(d) ? d : null; };`;
  });
  return `${DEFINED}\n${lines.join('\n')}\n`;
}

const CHECKS_MODULE = /[/\\]src[/\\]shared[/\\]checks[/\\]checks\.ts$/;

/** Serves compileChecks() in place of checks.ts in a Vite build (the page's and the worker's). */
export function compiledChecksPlugin(): Plugin {
  let code: string | undefined;
  return {
    name: 'outbox:compiled-checks',
    enforce: 'pre',
    load(id) {
      if (!CHECKS_MODULE.test(id.split('?')[0]!)) return null;
      code ??= compileChecks();
      return { code, moduleType: 'js' };
    },
  };
}
