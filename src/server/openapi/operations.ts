/**
 * Every HTTP route the server answers, described once for the OpenAPI document
 * (`GET /api/v1/openapi.json`, built by document.ts). A new route adds one entry here; the
 * test tests/server/openapi.test.ts fails for a route fastify serves that has no entry.
 * Bodies and answers name the zod schemas of src/shared/api.ts; nothing here repeats a schema.
 */
import type { z } from 'zod';
import {
  VideoListQuery,
  ChunkQuery,
  ChunkResponse,
  FinalizeRequest,
  FinalizeResponse,
  InitRequest,
  MeResponse,
  RenameRequest,
  VideoList,
  VideoStatus,
} from '../../shared/api.ts';
import type { ErrorCode } from '../../shared/errors.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Answer {
  description: string;
  /** A JSON answer: a schema of src/shared/api.ts. */
  json?: z.ZodType;
  /** A non-JSON answer: its media type. */
  media?: string;
  /** Response headers worth naming: name → description. */
  headers?: Record<string, string>;
}

export interface OperationDoc {
  method: Method;
  /** The fastify pattern (`:name` parameters), exactly as registered. */
  path: string;
  summary: string;
  description?: string;
  /** No bearer token needed. */
  public?: boolean;
  /** Query parameters: a zod object of src/shared/api.ts (its input side is described). */
  query?: z.ZodObject;
  /** Request headers beyond Authorization: name → [required, description]. */
  headers?: Record<string, [boolean, string]>;
  body?: { json: z.ZodType } | { media: string; description: string };
  answers: Record<number, Answer>;
  /** Catalogue codes this route answers itself (the common ones are added by document.ts). */
  errors: ErrorCode[];
  /**
   * Described before its route is served (work in progress elsewhere): left out of the served
   * document until fastify has the route; drop the field when it lands.
   */
  planned?: string;
}

const FILE_ANSWERS: Record<number, Answer> = {
  200: {
    description: 'The whole file, once complete.',
    media: 'video/webm',
    headers: {
      'accept-ranges': '`bytes`',
      etag: 'The SHA-256 of the served file (fileSha256), quoted; absent until computed.',
      'content-disposition': '`inline; filename="….webm"`',
      'cache-control': 'How long the answer may be cached.',
    },
  },
  206: { description: 'One byte range (`Range: bytes=a-b`, `a-` or `-n`).', media: 'video/webm', headers: { 'content-range': '`bytes a-b/size`' } },
};
const RANGE_HEADER: Record<string, [boolean, string]> = { range: [false, 'One byte range; more than one is ignored (200).'] };
const FILE_ERRORS: ErrorCode[] = ['not_found', 'video_not_ready', 'range_not_satisfiable'];

export const OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/me',
    summary: 'Who the bearer token belongs to',
    answers: { 200: { description: 'The user.', json: MeResponse } },
    errors: [],
  },
  {
    method: 'post',
    path: '/api/v1/videos/init',
    summary: 'Open the upload session of a recording (idempotent on recordingId)',
    description: 'The share URL exists from now on. The same `recordingId` again answers the same session with 200.',
    body: { json: InitRequest },
    answers: { 201: { description: 'A new session.', json: VideoStatus }, 200: { description: 'The existing session of this recordingId.', json: VideoStatus } },
    errors: ['validation_failed'],
  },
  {
    method: 'post',
    path: '/api/v1/videos/chunk',
    summary: 'Upload one chunk (raw bytes), verified against its Content-Digest',
    description: 'Hashed, verified, stored durably and recorded before the answer; chunks may arrive in any order. See docs/API.md "Chunk rules" for the order of the checks.',
    query: ChunkQuery,
    headers: { 'content-digest': [true, 'RFC 9530 digest of the body: `sha-256=:<base64>:`.'] },
    body: { media: 'application/octet-stream', description: 'The chunk bytes as recorded.' },
    answers: { 201: { description: 'Stored durably.', json: ChunkResponse }, 200: { description: 'The same bytes were already held (`duplicate: true`).', json: ChunkResponse } },
    errors: [
      'validation_failed',
      'index_out_of_range',
      'unsupported_media_type',
      'digest_missing',
      'digest_invalid',
      'digest_mismatch',
      'chunk_too_large',
      'not_found',
      'session_expired',
      'session_closed',
      'chunk_conflict',
      'request_timeout',
      'client_aborted',
      'insufficient_storage',
    ],
  },
  {
    method: 'post',
    path: '/api/v1/videos/finalize',
    summary: 'Declare the chunk count; completes the video once every chunk is held (idempotent)',
    body: { json: FinalizeRequest },
    answers: { 200: { description: '`complete`, or `incomplete` with the missing indices (the session stays open).', json: FinalizeResponse } },
    errors: ['validation_failed', 'not_found', 'session_expired', 'total_mismatch', 'insufficient_storage'],
  },
  {
    method: 'get',
    path: '/api/v1/videos',
    summary: "The caller's videos, newest first, one page at a time",
    query: VideoListQuery,
    answers: { 200: { description: 'One page; pass `nextCursor` back as `cursor` for the next (null: the last page).', json: VideoList } },
    errors: ['validation_failed'],
  },
  {
    method: 'get',
    path: '/api/v1/videos/:id',
    summary: 'Status of one video, for resuming an upload',
    answers: { 200: { description: 'Held chunks as ranges, missing indices, SHA-256 once complete.', json: VideoStatus } },
    errors: ['not_found'],
  },
  {
    method: 'delete',
    path: '/api/v1/videos/:id',
    summary: 'Delete a video: its records and every byte',
    answers: { 204: { description: 'Deleted.' } },
    errors: ['not_found'],
  },
  {
    method: 'patch',
    path: '/api/v1/videos/:id',
    summary: 'Rename a video',
    body: { json: RenameRequest },
    answers: { 200: { description: 'The renamed video.', json: VideoStatus } },
    errors: ['validation_failed', 'not_found'],
  },
  {
    method: 'put',
    path: '/api/v1/videos/:id/poster',
    summary: 'Store the poster frame of a video',
    body: { media: 'image/jpeg', description: 'One JPEG frame.' },
    answers: { 200: { description: 'Stored; the video with its new `posterUrl`.', json: VideoStatus } },
    errors: ['poster_invalid', 'unsupported_media_type', 'body_too_large', 'not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/videos/:id/poster',
    summary: 'The poster frame of a video',
    answers: { 200: { description: 'The JPEG.', media: 'image/jpeg' } },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/shared/:shareId/poster',
    summary: "Public poster of a shared video (og:image, thumbnails); a neutral image when none was uploaded",
    public: true,
    answers: { 200: { description: 'The JPEG.', media: 'image/jpeg' } },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/videos/:id/file',
    summary: 'Download or stream a complete video (Range supported)',
    headers: RANGE_HEADER,
    answers: FILE_ANSWERS,
    errors: FILE_ERRORS,
  },
  {
    method: 'get',
    path: '/api/v1/shared/:shareId/file',
    summary: 'Public playback of a complete video by its share id (Range supported)',
    public: true,
    headers: RANGE_HEADER,
    answers: FILE_ANSWERS,
    errors: FILE_ERRORS,
  },
  {
    method: 'get',
    path: '/s/:shareId',
    summary: 'The public share page: an HTML player (no script)',
    description: 'While the video uploads, a notice that reloads itself; unknown or removed: a 404 page (HTML, not JSON).',
    public: true,
    answers: { 200: { description: 'The player page.', media: 'text/html' }, 404: { description: 'Not found page.', media: 'text/html' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    public: true,
    answers: { 200: { description: 'OpenAPI 3.1.', media: 'application/json' } },
    errors: [],
  },
];

/** Routes that are the web app, not the API: fastify-static's catch-all serves the Vite build. */
export const APP_ROUTES: ReadonlyArray<{ method: Method; path: string }> = [{ method: 'get', path: '/*' }];
