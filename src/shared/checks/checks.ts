/**
 * The pipeline's checks of what crosses its trust boundary (checked.ts names them): each takes
 * untrusted data and returns it typed, or null when it does not match the contract.
 *
 * This file is what Node runs (unit tests, tsx). In a Vite build (page and worker alike) the
 * plugin in compile.ts replaces it with plain functions compiled from the same zod schemas at
 * build time (JSON Schema by `z.toJSONSchema`, then Ajv's standalone code), so zod's runtime
 * (~9 KB gzipped) is not in the service worker. tests/sw/checks.test.ts proves the compiled
 * checks accept and reject what zod does.
 */
import type * as z from 'zod/mini';
import { CHECKED_SCHEMAS } from './checked.ts';

/** Returns the data when it matches the contract (settings: with their defaults filled in), else null. */
export type Check<T> = (data: unknown) => T | null;

function check<S extends z.ZodMiniType>(schema: S): Check<z.output<S>> {
  return (data) => {
    const r = schema.safeParse(data);
    return r.success ? (r.data as z.output<S>) : null;
  };
}

export const checkVideoStatus = check(CHECKED_SCHEMAS.checkVideoStatus);
export const checkChunkResponse = check(CHECKED_SCHEMAS.checkChunkResponse);
export const checkFinalizeResponse = check(CHECKED_SCHEMAS.checkFinalizeResponse);
export const checkErrorBody = check(CHECKED_SCHEMAS.checkErrorBody);
export const checkPageMessage = check(CHECKED_SCHEMAS.checkPageMessage);
export const checkSettings = check(CHECKED_SCHEMAS.checkSettings);
