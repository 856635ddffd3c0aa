/**
 * Server configuration from environment variables, with defaults that let `npm start` work on a
 * fresh machine. Invalid values fail fast at start-up with the variable's name.
 */
import { resolve } from 'node:path';
import { pendingChunks, type PendingChunksSetting } from './pending-chunks-config.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL connection URL (OUTBOX_DATABASE_URL); null = SQLite in dataDir. */
  databaseUrl: string | null;
  /** Origin (no trailing slash) used in shareUrl/videoUrl; null = derived from the listen address. */
  publicUrl: string | null;
  maxChunkBytes: number;
  maxChunkIndex: number;
  sessionTtlMs: number;
  sweepIntervalMs: number;
  /** Requests per minute per authenticated user. */
  rateLimitPerMinute: number;
  /** Failed authentications per minute per client IP before 429. */
  authFailuresPerMinute: number;
  /** A chunk body must arrive completely within this time (408 otherwise). */
  bodyTimeoutMs: number;
  /** JSON body limit (init/finalize are tiny). */
  jsonBodyLimit: number;
  logLevel: LogLevel;
  staticDir: string;
  /**
   * fastify's `trustProxy`: whom to believe in X-Forwarded-For, so rate limits count the real
   * client behind a reverse proxy. false (default), true, a hop count, or addresses/CIDRs.
   */
  trustProxy: boolean | number | string;
  /** Stored bytes per user over all recordings; null = unlimited. */
  userQuotaBytes: number | null;
  /** Stored bytes per recording; null = unlimited. */
  maxRecordingBytes: number | null;
  /** Recordings a user may have uploading (state open) at once; null = unlimited. */
  maxOpenSessions: number | null;
  /** An open session ends after this long even if chunks keep coming (410 session_expired). */
  sessionMaxAgeMs: number;
  /** Chunk bodies held in memory at once, over all requests; beyond, they stream to disk. */
  memoryBodyBytes: number;
  /** Chunk bodies held in memory at once for one user. */
  memoryBodyBytesPerUser: number;
  /** S3-compatible object store for chunks, outputs and small objects; null = files under dataDir. */
  s3: S3Config | null;
  /** Where chunks wait for their multipart part on S3 + PostgreSQL (OUTBOX_PENDING_CHUNKS). */
  pendingChunks: PendingChunksSetting;
}

/** Credentials are not here: the AWS SDK's default chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
export interface S3Config {
  bucket: string;
  /** e.g. http://127.0.0.1:9000 for an S3-compatible server; null = AWS itself. */
  endpoint: string | null;
  region: string;
  /** `endpoint/bucket/key` URLs instead of `bucket.endpoint` hosts. */
  forcePathStyle: boolean;
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A limit where 0 means "none". */
function limit(env: NodeJS.ProcessEnv, name: string, fallback: number): number | null {
  const n = int(env, name, fallback, 0);
  return n === 0 ? null : n;
}

function trustProxy(raw: string | undefined): boolean | number | string {
  const v = raw?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*$/.test(v)) {
    throw new Error(`OUTBOX_TRUST_PROXY must be true, false, a hop count or comma-separated addresses/CIDRs, got ${JSON.stringify(v)}`);
  }
  return v;
}

function databaseUrl(raw: string | undefined): string | null {
  const v = raw?.trim() ?? '';
  if (v === '') return null;
  // Only the scheme is named in the error: the URL may hold a password.
  if (!/^postgres(ql)?:\/\//.test(v)) throw new Error('OUTBOX_DATABASE_URL must be a postgres:// or postgresql:// URL');
  return v;
}

function s3Config(env: NodeJS.ProcessEnv): S3Config | null {
  const bucket = env.OUTBOX_S3_BUCKET?.trim();
  if (!bucket) return null;
  const endpoint = env.OUTBOX_S3_ENDPOINT?.trim() || null;
  if (endpoint !== null && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new Error(`OUTBOX_S3_ENDPOINT must be an http(s) origin, got ${JSON.stringify(endpoint)}`);
  }
  const style = env.OUTBOX_S3_FORCE_PATH_STYLE?.trim() ?? '';
  if (!['', 'true', 'false', '1', '0'].includes(style)) throw new Error(`OUTBOX_S3_FORCE_PATH_STYLE must be true or false (or 1/0), got ${JSON.stringify(style)}`);
  return { bucket, endpoint, region: env.OUTBOX_S3_REGION?.trim() || 'us-east-1', forcePathStyle: style === 'true' || style === '1' };
}

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const publicUrl = env.PUBLIC_URL?.trim() ? env.PUBLIC_URL.trim().replace(/\/+$/, '') : null;
  if (publicUrl !== null && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) {
    throw new Error(`PUBLIC_URL must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
  }
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: resolve(env.OUTBOX_DATA_DIR?.trim() || './data'),
    databaseUrl: databaseUrl(env.OUTBOX_DATABASE_URL),
    publicUrl,
    maxChunkBytes: int(env, 'OUTBOX_MAX_CHUNK_BYTES', 16 * 1024 * 1024, 1),
    maxChunkIndex: int(env, 'OUTBOX_MAX_CHUNK_INDEX', 100_000, 0, 999_999_999),
    sessionTtlMs: int(env, 'OUTBOX_SESSION_TTL_MS', 24 * 60 * 60 * 1000, 1),
    sweepIntervalMs: int(env, 'OUTBOX_SWEEP_INTERVAL_MS', 10 * 60 * 1000, 1),
    rateLimitPerMinute: int(env, 'OUTBOX_RATE_LIMIT', 6000, 1),
    authFailuresPerMinute: int(env, 'OUTBOX_AUTH_FAILURE_LIMIT', 30, 1),
    bodyTimeoutMs: int(env, 'OUTBOX_BODY_TIMEOUT_MS', 60_000, 1),
    jsonBodyLimit: int(env, 'OUTBOX_JSON_BODY_LIMIT', 64 * 1024, 1024),
    logLevel,
    staticDir: resolve(env.OUTBOX_STATIC_DIR?.trim() || './dist'),
    trustProxy: trustProxy(env.OUTBOX_TRUST_PROXY),
    userQuotaBytes: limit(env, 'OUTBOX_USER_QUOTA_BYTES', 20 * GiB),
    maxRecordingBytes: limit(env, 'OUTBOX_MAX_RECORDING_BYTES', 8 * GiB),
    maxOpenSessions: limit(env, 'OUTBOX_MAX_OPEN_SESSIONS', 50),
    sessionMaxAgeMs: int(env, 'OUTBOX_SESSION_MAX_AGE_MS', 7 * 24 * 60 * 60 * 1000, 1),
    memoryBodyBytes: int(env, 'OUTBOX_MEMORY_BODY_BYTES', 64 * MiB, 0),
    memoryBodyBytesPerUser: int(env, 'OUTBOX_MEMORY_BODY_BYTES_PER_USER', 32 * MiB, 0),
    s3: s3Config(env),
    pendingChunks: pendingChunks(env),
  };
}

/**
 * The origin clients are told to use when PUBLIC_URL is not set. A wildcard listen address is
 * not reachable as such, so it becomes localhost; IPv6 literals need brackets in a URL.
 */
export function derivePublicUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://localhost:${port}`;
  if (host.includes(':')) return `http://[${host}]:${port}`;
  return `http://${host}:${port}`;
}
