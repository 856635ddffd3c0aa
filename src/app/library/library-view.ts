/**
 * The Library: recordings on this device and on the server, with their state. Plays the local
 * copy (works offline) or the server's file; exports a .webm; deletes with a warning when the
 * server does not hold the video yet.
 *
 * Server playback uses the public share file `/api/v1/shared/<shareId>/file`: a <video src>
 * cannot send the bearer token, and the share file is served with HTTP Range, so the browser
 * streams and seeks it instead of downloading the whole blob first. Thumbnails come from the
 * public poster URL for the same reason.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { VideoStatus } from '../../shared/api.ts';
import type { AppServices } from '../services.ts';
import { OfflineError } from '../api-client.ts';
import { formatBytes, formatClock, formatDateTime } from '../format.ts';
import { extensionFor } from '../recorder/mime.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { ProgressController } from '../ui/controllers.ts';
import { fetchServerVideos, localDeleteNeedsWarning, mergeLibrary, type ItemState, type LibraryItem } from './library-model.ts';
import { ApiError } from '../../shared/errors.ts';
import './rename-form.ts';

const STATE_LABEL: Record<ItemState, [string, string]> = {
  recording: ['Recording', 'danger'],
  uploading: ['Uploading', 'active'],
  interrupted: ['Interrupted · uploading what was saved', 'warn'],
  'on-server': ['On the server', 'ok'],
  'incomplete-on-server': ['Incomplete on server', 'warn'],
  expired: ['Expired on server', 'warn'],
};

interface Player {
  id: string;
  url: string;
  from: 'device' | 'server';
  revoke: boolean;
}

export class LibraryView extends LitElement {
  static override properties = {
    services: { attribute: false },
    active: { type: Boolean },
    items: { state: true },
    serverNote: { state: true },
    player: { state: true },
    confirming: { state: true },
    message: { state: true },
    loading: { state: true },
    renaming: { state: true },
  };

  /** App services; set by the shell. */
  declare services: AppServices | null;
  /** True while the Library tab is shown (reloads on activation). */
  declare active: boolean;
  declare items: LibraryItem[];
  declare serverNote: string | null;
  declare player: Player | null;
  declare confirming: string | null;
  declare message: string | null;
  declare loading: boolean;
  /** The item being renamed: its id, the save in flight, the server's refusal. */
  declare renaming: { id: string; busy: boolean; error: string | null } | null;

  private readonly progress = new ProgressController(this);
  private lastPhases = '';

  constructor() {
    super();
    this.services = null;
    this.active = false;
    this.items = [];
    this.serverNote = null;
    this.player = null;
    this.confirming = null;
    this.message = null;
    this.loading = false;
    this.renaming = null;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      header { display: flex; justify-content: space-between; align-items: center; gap: 12px; margin-bottom: 16px; flex-wrap: wrap; }
      ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; }
      li.card { padding: 16px; display: grid; gap: 10px; }
      .top { display: grid; grid-template-columns: 112px minmax(0, 1fr) auto; gap: 4px 14px; align-items: center; }
      .poster { position: relative; width: 112px; aspect-ratio: 16 / 9; border-radius: 8px; overflow: hidden; background: var(--surface-2); border: 1px solid var(--border); }
      .poster img { width: 100%; height: 100%; object-fit: cover; display: block; }
      .poster .thumb { width: 100%; height: 100%; border: 0; border-radius: 0; }
      .duration { position: absolute; right: 4px; bottom: 4px; padding: 0 5px; border-radius: 4px; background: rgb(0 0 0 / 0.75); color: #fff; font-size: 0.75rem; font-variant-numeric: tabular-nums; }
      .thumb {
        flex: none; width: 44px; height: 44px; border-radius: 10px; display: grid; place-items: center;
        background: var(--surface-2); color: var(--muted); border: 1px solid var(--border);
      }
      .thumb svg { width: 22px; height: 22px; }
      .thumb.ok { color: var(--ok); background: var(--ok-soft); }
      .thumb.warn { color: var(--warn); background: var(--warn-soft); }
      .thumb.danger { color: var(--danger); background: var(--danger-soft); }
      .thumb.active { color: var(--accent); }
      @media (max-width: 520px) {
        .top { grid-template-columns: 96px minmax(0, 1fr); align-items: start; }
        .poster { width: 96px; }
        .top .badge { grid-column: 2; justify-self: start; }
      }
      .title { font-weight: 600; overflow-wrap: anywhere; }
      .meta { color: var(--muted); font-size: 0.875rem; }
      .actions { display: flex; flex-wrap: wrap; gap: 8px; }
      .actions button, .actions .button { min-height: 36px; padding: 6px 12px; font-size: 0.875rem; }
      video { width: 100%; max-height: 60vh; border-radius: 10px; background: #000; }
      .confirm { display: grid; gap: 10px; padding: 12px; border-radius: 10px; background: var(--surface-2); }
      .empty { text-align: center; padding: 40px 20px; }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    this.progress.attach(this.services?.upload);
    if ((changed.has('active') || changed.has('services')) && this.active && this.services) void this.load();
  }

  override updated(): void {
    // Reload when a recording changes phase (e.g. completes) while the library is open.
    const phases = (this.progress.snapshot?.recordings ?? []).map((r) => `${r.recordingId}:${r.phase}`).join();
    if (this.active && phases !== this.lastPhases) {
      this.lastPhases = phases;
      void this.load();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.closePlayer();
  }

  async load(): Promise<void> {
    const s = this.services;
    if (!s) return;
    this.loading = true;
    const local = await s.outbox.listRecordings();
    let server: VideoStatus[] | null = null;
    try {
      server = await fetchServerVideos(s.api);
      this.serverNote = null;
    } catch (e) {
      this.serverNote =
        e instanceof OfflineError
          ? 'Offline: showing the recordings on this device only.'
          : 'The server’s list could not be loaded; showing the recordings on this device only.';
    }
    this.items = mergeLibrary(local, server);
    this.loading = false;
  }

  override render() {
    return html`
      <header>
        <h2>Library</h2>
        <button class="ghost" @click=${() => this.load()} ?disabled=${this.loading}>Refresh</button>
      </header>
      ${this.serverNote ? html`<p class="notice warn" style="margin-bottom:12px">${this.serverNote}</p>` : nothing}
      ${this.message ? html`<p class="notice" role="status" style="margin-bottom:12px">${this.message}</p>` : nothing}
      ${this.items.length === 0 && !this.loading
        ? html`<div class="card empty"><h3>No recordings yet</h3><p class="muted" style="margin-top:6px">Recordings you make appear here — on this device at once, and on the server as they upload.</p></div>`
        : html`<ul>${this.items.map((item) => this.renderItem(item))}</ul>`}
    `;
  }

  private renderItem(item: LibraryItem) {
    const [label, tone] = STATE_LABEL[item.state];
    const playing = this.player?.id === item.id ? this.player : null;
    const where = [item.local ? 'this device' : null, item.server ? 'server' : null].filter(Boolean).join(' + ');
    return html`
      <li class="card" data-recording-id=${item.id}>
        <div class="top">
          <div class="poster">
            ${item.thumbnailUrl
              ? html`<img src=${item.thumbnailUrl} alt="" loading="lazy" />`
              : html`<div class="thumb ${tone}" aria-hidden="true">
                  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"><rect x="2.5" y="6" width="13" height="12" rx="2.5" /><path d="M15.5 10.5 21 7.5v9l-5.5-3" stroke-linejoin="round" /></svg>
                </div>`}
            ${item.durationMs !== null ? html`<span class="duration" aria-label="Duration">${formatClock(item.durationMs)}</span>` : nothing}
          </div>
          <div class="text">
            <div class="title">${item.title}</div>
            <div class="meta">${formatDateTime(item.createdAt)} · ${formatBytes(item.bytes)} · on ${where}</div>
          </div>
          <span class="badge ${tone}">${label}</span>
        </div>
        ${this.renaming?.id === item.id
          ? html`<rename-form .value=${item.title} ?busy=${this.renaming.busy} .error=${this.renaming.error}
              @rename-save=${(e: CustomEvent<{ title: string }>) => this.rename(item, e.detail.title)}
              @rename-cancel=${() => (this.renaming = null)}></rename-form>`
          : nothing}
        ${playing
          ? html`<video controls autoplay playsinline src=${playing.url} aria-label="Playing ${item.title} from the ${playing.from}"></video>`
          : nothing}
        <div class="actions">
          ${item.hasLocalBytes ? html`<button @click=${() => this.playLocal(item)}>Play from device</button>` : nothing}
          ${item.serverFileUrl ? html`<button @click=${() => this.playServer(item)}>Play from server</button>` : nothing}
          ${playing ? html`<button class="ghost" @click=${() => this.closePlayer()}>Close player</button>` : nothing}
          ${item.hasLocalBytes || item.serverFileUrl ? html`<button @click=${() => this.download(item)}>Download</button>` : nothing}
          ${item.shareUrl ? html`<button @click=${() => this.copy(item.shareUrl!)}>Copy link</button>` : nothing}
          ${item.videoId && this.renaming?.id !== item.id
            ? html`<button class="ghost" @click=${() => (this.renaming = { id: item.id, busy: false, error: null })}>Rename</button>`
            : nothing}
          ${item.state !== 'recording' ? html`<button class="ghost" @click=${() => (this.confirming = item.id)}>Delete…</button>` : nothing}
        </div>
        ${this.confirming === item.id ? this.renderConfirm(item) : nothing}
      </li>
    `;
  }

  private renderConfirm(item: LibraryItem) {
    const warn = localDeleteNeedsWarning(item);
    return html`
      <div class="confirm" role="group" aria-label="Delete ${item.title}">
        ${warn
          ? html`<p class="notice danger">The server does not hold this video complete yet. Deleting the copy on this device loses whatever has not been uploaded — for good.</p>`
          : html`<p class="small">The server holds this video complete; the copy on this device can be removed safely.</p>`}
        <div class="actions">
          ${item.local
            ? html`<button class=${warn ? 'danger' : ''} @click=${() => this.deleteLocal(item, warn)}>${warn ? 'Delete anyway from this device' : 'Remove from this device'}</button>`
            : nothing}
          ${item.server ? html`<button class="danger" @click=${() => this.deleteServer(item)}>Delete from server</button>` : nothing}
          <button class="ghost" @click=${() => (this.confirming = null)}>Cancel</button>
        </div>
      </div>
    `;
  }

  private async playLocal(item: LibraryItem): Promise<void> {
    const blob = await this.services?.outbox.recordingBlob(item.id);
    if (!blob) {
      this.message = 'The copy on this device is no longer available.';
      return;
    }
    this.closePlayer();
    this.player = { id: item.id, url: URL.createObjectURL(blob), from: 'device', revoke: true };
  }

  private playServer(item: LibraryItem): void {
    if (!item.serverFileUrl) return;
    this.closePlayer();
    this.player = { id: item.id, url: item.serverFileUrl, from: 'server', revoke: false };
  }

  private closePlayer(): void {
    if (this.player?.revoke) URL.revokeObjectURL(this.player.url);
    this.player = null;
  }

  private async download(item: LibraryItem): Promise<void> {
    const mime = item.local?.mimeType ?? item.server?.mimeType ?? 'video/webm';
    const name = `${item.title.replace(/[^\w\- ]+/g, '').trim() || 'recording'}.${extensionFor(mime)}`;
    let href = item.serverFileUrl;
    let revoke = false;
    if (item.hasLocalBytes) {
      const blob = await this.services?.outbox.recordingBlob(item.id);
      if (blob) {
        href = URL.createObjectURL(blob);
        revoke = true;
      }
    }
    if (!href) return;
    const a = Object.assign(document.createElement('a'), { href, download: name });
    a.click();
    if (revoke) setTimeout(() => URL.revokeObjectURL(href!), 60_000);
  }

  private async rename(item: LibraryItem, title: string): Promise<void> {
    if (!item.videoId || !this.services) return;
    this.renaming = { id: item.id, busy: true, error: null };
    try {
      await this.services.api.renameVideo(item.videoId, title);
      this.renaming = null;
      this.message = 'Renamed.';
      await this.load();
    } catch (e) {
      const error =
        e instanceof OfflineError
          ? 'You are offline; rename again when connected.'
          : e instanceof ApiError && e.code === 'validation_failed'
            ? 'Titles are 1–200 characters, without control or text-direction characters.'
            : `Could not rename it: ${(e as Error).message}`;
      this.renaming = { id: item.id, busy: false, error };
    }
  }

  private async copy(url: string): Promise<void> {
    await navigator.clipboard.writeText(url).catch(() => {});
    this.message = 'Link copied.';
  }

  private async deleteLocal(item: LibraryItem, force: boolean): Promise<void> {
    try {
      await this.services?.outbox.deleteRecording(item.id, { force });
      this.message = 'Removed from this device.';
    } catch (e) {
      this.message = `Could not remove it: ${(e as Error).message}`;
    }
    if (this.player?.id === item.id) this.closePlayer();
    this.confirming = null;
    await this.load();
  }

  private async deleteServer(item: LibraryItem): Promise<void> {
    if (!item.server) return;
    try {
      await this.services?.api.deleteVideo(item.server.videoId);
      this.message = 'Deleted from the server.';
    } catch (e) {
      this.message = e instanceof OfflineError ? 'You are offline; try again when connected.' : `Could not delete it: ${(e as Error).message}`;
    }
    this.confirming = null;
    await this.load();
  }
}

customElements.define('library-view', LibraryView);

declare global {
  interface HTMLElementTagNameMap {
    'library-view': LibraryView;
  }
}
