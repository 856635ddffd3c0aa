/**
 * SHA-256 helpers and the RFC 9530 `Content-Digest` header, shared by page, worker and server.
 * RFC 9530 §2: the value is a Structured Fields Dictionary (RFC 8941) whose keys are algorithm
 * names and whose values are Byte Sequences (`:base64:`). We only send and accept `sha-256`.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b];
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** SHA-256 of the bytes as lowercase hex, with WebCrypto (page, worker and Node ≥ 20 alike). */
export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return bytesToHex(new Uint8Array(digest));
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `Content-Digest: sha-256=:<base64>:` for a hex SHA-256. */
export function formatContentDigest(sha256hex: string): string {
  return `sha-256=:${bytesToBase64(hexToBytes(sha256hex))}:`;
}

export type ParsedDigest = { ok: true; sha256: string } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * Extracts the sha-256 member of a Content-Digest dictionary as lowercase hex.
 * Other algorithms may be listed beside it (RFC 9530 §2 allows several); they are ignored,
 * but a dictionary without sha-256 is `missing`, and a sha-256 that is not 32 bytes is `invalid`.
 */
export function parseContentDigest(header: string | undefined | null): ParsedDigest {
  if (header === undefined || header === null || header.trim() === '') return { ok: false, reason: 'missing' };
  if (header.length > 1024) return { ok: false, reason: 'invalid' };
  let sawSha = false;
  for (const member of header.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    const key = member.slice(0, eq).trim().toLowerCase();
    if (key !== 'sha-256') continue;
    sawSha = true;
    const m = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(member.slice(eq + 1).trim());
    if (!m || m[1] === undefined) return { ok: false, reason: 'invalid' };
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(m[1]);
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (bytes.length !== 32) return { ok: false, reason: 'invalid' };
    return { ok: true, sha256: bytesToHex(bytes) };
  }
  return { ok: false, reason: sawSha ? 'invalid' : 'missing' };
}
