/**
 * The HTTP API contract (v1) as code: routes, header names, request and response schemas.
 * Server, worker and page import these; nothing else defines the wire format.
 * See docs/API.md for the prose version.
 */
// zod/mini: the same validation as classic zod with functions instead of methods, so a bundle
// carries only the checks it uses (what a first visit downloads, docs/PERFORMANCE.md).
import * as z from 'zod/mini';
import { ERROR_CODES, type ErrorCode } from './errors.ts';

export const API_PREFIX = '/api/v1';

export const ROUTES = {
  init: `${API_PREFIX}/videos/init`,
  chunk: `${API_PREFIX}/videos/chunk`,
  finalize: `${API_PREFIX}/videos/finalize`,
  list: `${API_PREFIX}/videos`,
  me: `${API_PREFIX}/me`,
  video: (videoId: string) => `${API_PREFIX}/videos/${encodeURIComponent(videoId)}`,
  /** `PUT` a poster frame (image/jpeg) for the share page, library and link previews. */
  poster: (videoId: string) => `${API_PREFIX}/videos/${encodeURIComponent(videoId)}/poster`,
  file: (videoId: string) => `${API_PREFIX}/videos/${encodeURIComponent(videoId)}/file`,
  /** Public, unauthenticated playback of a complete video by its unguessable share id. */
  sharedFile: (shareId: string) => `${API_PREFIX}/shared/${encodeURIComponent(shareId)}/file`,
  /** The human share page (HTML player) behind `shareUrl`. */
  sharePage: (shareId: string) => `/s/${encodeURIComponent(shareId)}`,
  /** Public poster (JPEG, or a neutral image when none was uploaded), by share id. */
  sharedPoster: (shareId: string) => `${API_PREFIX}/shared/${encodeURIComponent(shareId)}/poster`,
} as const;

export const HEADERS = {
  authorization: 'authorization',
  /** RFC 9530 integrity of the request body: `sha-256=:<base64>:`. */
  contentDigest: 'content-digest',
  retryAfter: 'retry-after',
} as const;

export const CHUNK_CONTENT_TYPE = 'application/octet-stream';

// `/* @__PURE__ */` on the top-level `.check(…)` chains (and `__NO_SIDE_EFFECTS__` on a function returning one): a bundler cannot know a method call is
// free of side effects, and without the mark it keeps every such schema (and the zod code it
// needs) in a bundle that never uses it — the worker, for the title rules.

/** Server-issued ids: 128 random bits, base64url, 22 characters. Never a path. */
export const ServerId = /* @__PURE__ */ z.string().check(z.regex(/^[A-Za-z0-9_-]{22}$/, 'malformed id'));
export type ServerId = z.infer<typeof ServerId>;

export const Sha256Hex = /* @__PURE__ */ z.string().check(z.regex(/^[0-9a-f]{64}$/));

/** A whole number (a safe integer) ≥ 0. */
const NonNegativeInt = /* @__NO_SIDE_EFFECTS__ */ () => z.int().check(z.nonnegative());

/** Inclusive [start, end] pairs, see ranges.ts. */
export const IndexRanges = z.array(z.tuple([NonNegativeInt(), NonNegativeInt()]));

// Parameters are printable ASCII only, spaces (not CR/LF or tabs) around the ';': the type is
// echoed back in answers and a line break in it is a header-injection vector (RFC 9110 §8.3.1).
export const MimeType = /* @__PURE__ */ z
  .string()
  .check(z.maxLength(200), z.regex(/^video\/(webm|mp4|x-matroska)( *;[\x20-\x7e]*)?$/i, 'must be a video/webm or video/mp4 type'));

/**
 * Control characters and the Unicode bidi embeddings/overrides/isolates (U+202A–U+202E,
 * U+2066–U+2069; Trojan Source, CVE-2021-42574) make a title display as something else than it
 * is (a file name ending in "mp4.exe" shown reversed), so a title may contain neither.
 */
const UNSAFE_TITLE_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** A recording's title: trimmed, 1–200 characters, no control or bidi-override characters. */
export const Title = /* @__PURE__ */ z
  .string()
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(200),
    z.refine((t) => !UNSAFE_TITLE_CHARS.test(t), 'must not contain control or bidi-override characters'),
  );

// ---- init ---------------------------------------------------------------------------------

export const InitRequest = z.strictObject({
  /** The client's UUID for the recording; the idempotency key of init. */
  recordingId: z.uuid(),
  mimeType: MimeType,
  startedAt: z.optional(z.iso.datetime({ offset: true })),
  title: z.optional(Title),
});
export type InitRequest = z.infer<typeof InitRequest>;

export const VideoState = z.enum(['open', 'complete', 'expired']);
export type VideoState = z.infer<typeof VideoState>;

/** Everything a client needs to resume after either side restarts. */
export const VideoStatus = z.object({
  videoId: ServerId,
  /** Equal to videoId in v1: one upload session per video. */
  sessionId: ServerId,
  recordingId: z.uuid(),
  title: z.nullable(z.string()),
  mimeType: z.string(),
  state: VideoState,
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.nullable(z.string()),
  /** Known once the client finalized (or null before). */
  totalChunks: z.nullable(z.int()),
  /** Chunk indices the server durably holds (verified), as inclusive ranges. */
  chunks: IndexRanges,
  receivedChunks: z.int(),
  /** Length of the contiguous prefix already appended to the assembled file. */
  assembledChunks: z.int(),
  /** Bytes held (sum of verified chunk sizes). */
  bytes: z.int(),
  /**
   * SHA-256 of the bytes the client recorded (its chunks in order), once complete: what the
   * client's end-to-end check compares. Same value as `recordedSha256`; kept under this name for
   * the clients that check it (docs/API.md "Which digest proves what").
   */
  sha256: z.nullable(Sha256Hex),
  // The fields below are always sent by this server; optional so an older server's answer (and
  // the pipeline's test fakes) still parse.
  /** SHA-256 of the bytes the client recorded, once complete. */
  recordedSha256: z.optional(z.nullable(Sha256Hex)),
  /**
   * SHA-256 of the bytes served at `videoUrl` (which differ from the recorded ones when the
   * header was rewritten for seeking). Computed after completion, off the stop-to-link path:
   * null for a few seconds.
   */
  fileSha256: z.optional(z.nullable(Sha256Hex)),
  /**
   * SHA-256 over the ordered chunk SHA-256s (src/shared/chunks-digest.ts), once complete: known
   * at completion on every backend; the client's end-to-end check compares it.
   */
  chunksDigest: z.optional(z.nullable(Sha256Hex)),
  /** Length of the recording in ms, once complete and understood (null otherwise). */
  durationMs: z.optional(z.nullable(NonNegativeInt())),
  /** Whether the served file has Cues and a Duration; false: served exactly as received; null before completion. */
  seekable: z.optional(z.nullable(z.boolean())),
  /** Public URL of the poster frame; null when none was uploaded (clients show a neutral image). */
  posterUrl: z.optional(z.nullable(z.string())),
  /**
   * Missing indices as inclusive ranges (empty until totalChunks is known), so the answer stays
   * small however many are missing.
   */
  missing: IndexRanges,
  /** True when completed on purpose with gaps (allowPartial); the gaps are in `missing`. */
  partial: z.boolean(),
  shareUrl: z.string(),
  videoUrl: z.nullable(z.string()),
});
export type VideoStatus = z.infer<typeof VideoStatus>;

export const InitResponse = VideoStatus;
export type InitResponse = VideoStatus;

// ---- chunk --------------------------------------------------------------------------------

/** `POST /videos/chunk?sessionId=…&index=…`, raw body, Content-Digest header. */
export const ChunkQuery = z.strictObject({
  sessionId: ServerId,
  index: z.pipe(/* @__PURE__ */ z.string().check(z.regex(/^(0|[1-9][0-9]{0,8})$/, 'index must be a non-negative decimal integer')), z.transform(Number)),
});
export type ChunkQuery = z.output<typeof ChunkQuery>;

export const ChunkResponse = z.object({
  index: z.int(),
  size: z.int(),
  sha256: Sha256Hex,
  /** true when the same bytes were already held (answered 200 instead of 201). */
  duplicate: z.boolean(),
});
export type ChunkResponse = z.infer<typeof ChunkResponse>;

// ---- finalize -----------------------------------------------------------------------------

export const FinalizeRequest = z.strictObject({
  sessionId: ServerId,
  totalChunks: /* @__PURE__ */ z.int().check(z.minimum(1)),
  /** How many chunks the client believes it uploaded; informational, logged on mismatch. */
  uploadedChunks: z.optional(NonNegativeInt()),
  /** Complete now even with gaps; the gaps are recorded and returned, never hidden. */
  allowPartial: z.optional(z.boolean()),
});
export type FinalizeRequest = z.infer<typeof FinalizeRequest>;

export const FinalizeComplete = z.object({
  status: z.literal('complete'),
  videoId: ServerId,
  videoUrl: z.string(),
  shareUrl: z.string(),
  /** Bytes the client recorded (the served file may differ in length, see `seekable`). */
  size: z.int(),
  /**
   * SHA-256 of the bytes the client recorded; null when the backend computes it after
   * completion (off the stop-to-link path) — then it appears in the video's status.
   */
  sha256: z.nullable(Sha256Hex),
  recordedSha256: z.optional(z.nullable(Sha256Hex)),
  /** SHA-256 over the ordered chunk SHA-256s: the client's end-to-end check (always sent by this server). */
  chunksDigest: z.optional(Sha256Hex),
  /** SHA-256 of the bytes served at videoUrl; null until computed (see VideoStatus). */
  fileSha256: z.optional(z.nullable(Sha256Hex)),
  durationMs: z.optional(z.nullable(NonNegativeInt())),
  seekable: z.optional(z.boolean()),
  totalChunks: z.int(),
  partial: z.boolean(),
  /** The gaps of a partial completion, as inclusive ranges. */
  missing: IndexRanges,
});
export const FinalizeIncomplete = z.object({
  status: z.literal('incomplete'),
  videoId: ServerId,
  totalChunks: z.int(),
  receivedChunks: z.int(),
  /** Indices still to send, as inclusive ranges. */
  missing: IndexRanges,
});
export const FinalizeResponse = z.discriminatedUnion('status', [FinalizeComplete, FinalizeIncomplete]);
export type FinalizeResponse = z.infer<typeof FinalizeResponse>;

// ---- list / me ----------------------------------------------------------------------------

/** Page size of `GET /videos` when `limit` is not given, and the largest one allowed. */
export const VIDEO_PAGE_DEFAULT = 50;
export const VIDEO_PAGE_MAX = 200;

/** `GET /videos?limit=&cursor=`: newest first; `cursor` is the previous page's `nextCursor`. */
export const VideoListQuery = z.strictObject({
  limit: z.optional(
    z.pipe(
      z.pipe(/* @__PURE__ */ z.string().check(z.regex(/^[1-9][0-9]{0,3}$/, 'limit must be a positive integer')), z.transform(Number)),
      /* @__PURE__ */ z.number().check(z.maximum(VIDEO_PAGE_MAX)),
    ),
  ),
  cursor: z.optional(/* @__PURE__ */ z.string().check(z.regex(/^[A-Za-z0-9_-]{1,200}$/, 'malformed cursor'))),
});
export type VideoListQuery = z.output<typeof VideoListQuery>;

export const VideoList = z.object({
  videos: z.array(VideoStatus),
  /** Opaque; pass it as `cursor` for the next page. null on the last page. */
  nextCursor: z.nullable(z.string()),
});
export type VideoList = z.infer<typeof VideoList>;

/** `PATCH /api/v1/videos/:id`: rename. Trimmed, 1–200 characters, no control or bidi-override characters. */
export const RenameRequest = z.strictObject({ title: Title });
export type RenameRequest = z.infer<typeof RenameRequest>;

/** A configured limit; null = unlimited. */
const Limit = z.nullable(NonNegativeInt());

export const MeResponse = z.object({
  userId: z.string(),
  name: z.string(),
  /** What the user holds now: verified chunk bytes of every recording not expired, and uploads still open. */
  usage: z.object({ bytes: NonNegativeInt(), openSessions: NonNegativeInt() }),
  limits: z.object({ userBytes: Limit, openSessions: Limit, recordingBytes: Limit }),
});
export type MeResponse = z.infer<typeof MeResponse>;

// ---- errors -------------------------------------------------------------------------------

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
