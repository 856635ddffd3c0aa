/** zod parsing that fails with the catalogue's `validation_failed`, naming the fields at fault. */
import * as z from 'zod/mini';
import { ApiError } from '../../shared/errors.ts';

// zod/mini loads no locale (every issue would read "Invalid input"); the server names what is
// wrong in its 400s, so it uses the English messages. Browsers never import this file.
z.config(z.locales.en());

/** Takes any zod 4 schema: the contract's zod/mini ones and a route's own (classic) params. */
export function parseOr400<S extends z.core.$ZodType>(schema: S, value: unknown): z.output<S> {
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ApiError('validation_failed', { issues });
}
