/**
 * Fastify route patterns for the parameterised ROUTES of src/shared/api.ts. ROUTES' builders
 * percent-encode their argument (right for clients, wrong for ':id' placeholders), so the
 * patterns are spelled here and checked against ROUTES in tests/server/docs.test.ts
 * ("route patterns").
 */
import { API_PREFIX } from '../../shared/api.ts';

export const PATTERNS = {
  video: `${API_PREFIX}/videos/:id`,
  file: `${API_PREFIX}/videos/:id/file`,
  sharedFile: `${API_PREFIX}/shared/:shareId/file`,
  sharePage: '/s/:shareId',
} as const;
