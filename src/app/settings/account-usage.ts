/**
 * The account's usage and limits as GET /api/v1/me reports them (`usage: {bytes, openSessions}`,
 * `limits: {userBytes, openSessions, recordingBytes}`, each limit a number or null = unlimited),
 * in words for Settings. Read defensively: a server without these fields, or with a malformed
 * one, yields no lines rather than wrong ones.
 */
import { formatBytes } from '../format.ts';

const num = (v: unknown): number | null | undefined => (v === null ? null : typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

export function usageLines(me: unknown): string[] {
  const m = (typeof me === 'object' && me !== null ? me : {}) as { usage?: Record<string, unknown>; limits?: Record<string, unknown> };
  const u = typeof m.usage === 'object' && m.usage !== null ? m.usage : {};
  const l = typeof m.limits === 'object' && m.limits !== null ? m.limits : {};
  const lines: string[] = [];
  const bytes = num(u.bytes);
  const userBytes = num(l.userBytes);
  if (typeof bytes === 'number') lines.push(`Storage on the server: ${formatBytes(bytes)} of ${userBytes === null || userBytes === undefined ? 'unlimited' : formatBytes(userBytes)}`);
  const open = num(u.openSessions);
  const openMax = num(l.openSessions);
  if (typeof open === 'number') lines.push(`Recordings uploading now: ${open} of ${openMax === null || openMax === undefined ? 'unlimited' : openMax}`);
  const perRec = num(l.recordingBytes);
  if (perRec !== undefined) lines.push(`Largest recording: ${perRec === null ? 'unlimited' : formatBytes(perRec)}`);
  return lines;
}
