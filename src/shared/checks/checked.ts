/**
 * The shapes the upload pipeline checks at its trust boundary, by the name of their check: every
 * server answer (a 2xx body, an error body) and every page message, plus the settings the page
 * stored. Each is the contract's own zod schema (src/shared): this list only names them.
 * `checks.ts` turns each into a check; the build compiles them to plain functions (compile.ts).
 */
import { ChunkResponse, ErrorBody, FinalizeResponse, VideoStatus } from '../api.ts';
import { PageToWorker } from '../messages.ts';
import { Settings } from '../settings.ts';

export const CHECKED_SCHEMAS = {
  checkVideoStatus: VideoStatus,
  checkChunkResponse: ChunkResponse,
  checkFinalizeResponse: FinalizeResponse,
  checkErrorBody: ErrorBody,
  checkPageMessage: PageToWorker,
  checkSettings: Settings,
} as const;

export type CheckName = keyof typeof CHECKED_SCHEMAS;
