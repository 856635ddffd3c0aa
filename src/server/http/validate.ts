/** zod parsing that fails with the catalogue's `validation_failed`, naming the fields at fault. */
import type { z } from 'zod';
import { ApiError } from '../../shared/errors.ts';

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ApiError('validation_failed', { issues });
}
