/**
 * The library's list: recordings on this device merged with the user's videos on the server,
 * matched by the client's recording id (the init idempotency key). Pure.
 */
import type { VideoStatus } from '../../shared/api.ts';
import { ROUTES } from '../../shared/api.ts';
import type { RecordingRecord } from '../../shared/outbox/schema.ts';

export type ItemState = 'recording' | 'uploading' | 'interrupted' | 'on-server' | 'incomplete-on-server' | 'expired';

export interface LibraryItem {
  id: string;
  title: string;
  createdAt: number;
  local: RecordingRecord | null;
  server: VideoStatus | null;
  state: ItemState;
  /** The local chunks still hold the bytes (playable and exportable offline). */
  hasLocalBytes: boolean;
  /** The server holds the assembled video. */
  serverComplete: boolean;
  /** Public playback path of the complete video (no bearer token needed), or null. */
  serverFileUrl: string | null;
  shareUrl: string | null;
  bytes: number;
  /** Thumbnail: the uploaded poster, the server's neutral image for a complete video, else null. */
  thumbnailUrl: string | null;
  /** Length once the server has completed and understood it. */
  durationMs: number | null;
  /** The server's video id (rename, delete), or null while only on this device. */
  videoId: string | null;
}

/**
 * The one place the library gets the server's list, so paging (`?limit=&cursor=` →
 * `{videos, nextCursor}`) changes only this function.
 */
export function fetchServerVideos(api: { listVideos(): Promise<VideoStatus[]> }): Promise<VideoStatus[]> {
  return api.listVideos();
}

/** `${origin}/s/<shareId>` → shareId. */
export function shareIdOf(shareUrl: string | null | undefined): string | null {
  if (!shareUrl) return null;
  const m = /\/s\/([A-Za-z0-9_-]+)\/?(?:[?#].*)?$/.exec(shareUrl);
  return m?.[1] ?? null;
}

export function itemState(local: RecordingRecord | null, server: VideoStatus | null): ItemState {
  if (server?.state === 'complete' || local?.state === 'complete') return 'on-server';
  if (local?.state === 'recording') return 'recording';
  if (server?.state === 'expired') return 'expired';
  if (local?.state === 'interrupted') return 'interrupted';
  if (local) return 'uploading';
  return 'incomplete-on-server';
}

export function mergeLibrary(local: readonly RecordingRecord[], server: readonly VideoStatus[] | null): LibraryItem[] {
  const byId = new Map<string, { local: RecordingRecord | null; server: VideoStatus | null }>();
  for (const r of local) byId.set(r.id, { local: r, server: null });
  for (const v of server ?? []) {
    const entry = byId.get(v.recordingId);
    if (entry) entry.server = v;
    else byId.set(v.recordingId, { local: null, server: v });
  }
  const items: LibraryItem[] = [];
  for (const [id, { local: l, server: s }] of byId) {
    const serverComplete = s?.state === 'complete' || l?.state === 'complete';
    const shareUrl = s?.shareUrl ?? l?.shareUrl ?? null;
    const shareId = shareIdOf(shareUrl);
    const createdAt = l?.createdAt ?? (s ? Date.parse(s.createdAt) : 0);
    items.push({
      id,
      // The server's title wins: a rename happens there.
      title: s?.title ?? l?.title ?? 'Untitled recording',
      createdAt: Number.isFinite(createdAt) ? createdAt : 0,
      local: l,
      server: s,
      state: itemState(l, s),
      hasLocalBytes: l !== null && l.localCopy === 'kept' && l.localBytes > 0,
      serverComplete,
      serverFileUrl: serverComplete && shareId ? ROUTES.sharedFile(shareId) : null,
      shareUrl: serverComplete ? shareUrl : null,
      bytes: l?.localBytes || s?.bytes || 0,
      thumbnailUrl: s?.posterUrl ?? (serverComplete && shareId ? ROUTES.sharedPoster(shareId) : null),
      durationMs: s?.durationMs ?? null,
      videoId: s?.videoId ?? null,
    });
  }
  return items.sort((a, b) => b.createdAt - a.createdAt);
}

/** Deleting the local copy is safe only when the server holds the video complete. */
export function localDeleteNeedsWarning(item: LibraryItem): boolean {
  return item.local !== null && !item.serverComplete;
}
