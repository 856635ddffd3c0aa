/**
 * The share page's HTML: a native <video> player (seeks by itself once the file has Cues), the
 * title, duration, a download link, and Open Graph / Twitter card tags so the link unfolds in
 * chat apps (ogp.me: og:video, og:image, og:duration in seconds). No script, so the strict CSP
 * holds; light and dark follow the viewer's system setting.
 */
import { ROUTES } from '../../shared/api.ts';
import { fileExtension } from '../ingest/video-status.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 75_000 → "1:15"; 3_725_000 → "1:02:05". */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const STYLE = `:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#15181d;--muted:#5b6472;--card:#fff;--accent:#2457d6;--line:#dfe3ea}
@media (prefers-color-scheme:dark){:root{--bg:#101216;--fg:#eef1f5;--muted:#9aa4b2;--card:#1a1e25;--accent:#7ea2ff;--line:#2b313b}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:1000px;margin:0 auto;padding:24px 16px 40px}
.player{background:#000;border-radius:12px;overflow:hidden;aspect-ratio:16/9;display:flex}
video{width:100%;height:100%;background:#000;display:block}
h1{font-size:1.35rem;font-weight:600;margin:16px 0 4px;overflow-wrap:anywhere}
.meta{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between;color:var(--muted)}
.download{display:inline-block;padding:10px 18px;border-radius:8px;background:var(--accent);color:#fff;text-decoration:none;font-weight:600}
@media (prefers-color-scheme:dark){.download{color:#0b0d12}}
.brand{color:var(--muted);font-size:.9rem;margin:0 0 12px}
@media (max-width:480px){main{padding:12px 8px 24px}h1{font-size:1.15rem}.player{border-radius:8px}}`;

function shell(title: string, head: string, body: string, refresh = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh ? '<meta http-equiv="refresh" content="5">\n' : ''}<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
${head}<style>${STYLE}</style>
</head><body><main>
<p class="brand">Outbox Recorder</p>
${body}
</main></body></html>
`;
}

export function notFoundPage(): string {
  return shell('Not found', '', '<h1>This recording does not exist or was removed.</h1>');
}

export function uploadingPage(video: VideoRecord): string {
  const title = video.title ?? 'Recording';
  return shell(title, '', `<h1>${escapeHtml(title)}</h1><p class="meta">This recording is still being uploaded. This page reloads by itself.</p>`, true);
}

export function sharePage(video: VideoRecord, publicUrl: string): string {
  const title = video.title ?? 'Recording';
  const file = `${publicUrl}${ROUTES.sharedFile(video.shareId)}`;
  const poster = `${publicUrl}${ROUTES.sharedPoster(video.shareId)}${video.posterAt === null ? '' : `?v=${video.posterAt}`}`;
  const pageUrl = `${publicUrl}${ROUTES.sharePage(video.shareId)}`;
  const type = fileExtension(video.mimeType) === 'mp4' ? 'video/mp4' : 'video/webm';
  const meta = (property: string, content: string) => `<meta property="${property}" content="${escapeHtml(content)}">\n`;
  const named = (name: string, content: string) => `<meta name="${name}" content="${escapeHtml(content)}">\n`;
  let head =
    meta('og:type', 'video.other') +
    meta('og:title', title) +
    meta('og:url', pageUrl) +
    meta('og:image', poster) +
    meta('og:video', file) +
    meta('og:video:type', type);
  if (video.durationMs !== null) head += meta('og:duration', String(Math.round(video.durationMs / 1000)));
  head += named('twitter:card', 'summary_large_image') + named('twitter:title', title) + named('twitter:image', poster);
  const duration = video.durationMs === null ? '' : `<span class="duration">${formatDuration(video.durationMs)}</span>`;
  const filename = `${(video.title ?? '').replace(/[^A-Za-z0-9 ._-]+/g, '').trim().slice(0, 80) || 'recording'}.${fileExtension(video.mimeType)}`;
  return shell(
    title,
    head,
    `<div class="player"><video controls playsinline preload="metadata" poster="${escapeHtml(poster)}" src="${escapeHtml(file)}"></video></div>
<h1>${escapeHtml(title)}</h1>
<div class="meta">${duration}<a class="download" href="${escapeHtml(file)}" download="${escapeHtml(filename)}">Download</a></div>`,
  );
}
