/**
 * Upload status of one recording: progress bar, uploaded/total and %, a status line announced
 * politely to screen readers, "Retry now" while waiting for the server and "Retry upload" after
 * failures, and the share link once complete. While it waits for the server it re-renders once a
 * second so "next try in 40 s" counts down.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { RecordingProgress } from '../../shared/progress.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { deriveStatus, type StatusContext } from './derive-status.ts';

export class UploadStatus extends LitElement {
  static override properties = {
    progress: { attribute: false },
    recorder: { attribute: false },
    online: { type: Boolean },
    copied: { state: true },
    now: { state: true },
  };

  /** Background Sync exists in this browser (Chromium); Firefox and Safari upload only while the app is open. */
  static readonly backgroundSync = typeof globalThis !== 'undefined' && 'SyncManager' in globalThis;

  /** The pipeline's progress for this recording, or null before the first snapshot names it. */
  declare progress: RecordingProgress | null;
  /** The page recorder's state when this recording is the one being recorded. */
  declare recorder: StatusContext['recorder'];
  /** Browser connectivity. */
  declare online: boolean;
  declare copied: boolean;
  declare now: number;
  #tick: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.progress = null;
    this.recorder = null;
    this.online = true;
    this.copied = false;
    this.now = Date.now();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopTick();
  }

  #stopTick(): void {
    if (this.#tick !== null) clearInterval(this.#tick);
    this.#tick = null;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      .head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
      .status { display: inline-flex; align-items: center; gap: 8px; font-weight: 600; }
      .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--muted); flex: none; }
      .dot.active { background: var(--accent); }
      .dot.ok { background: var(--ok); }
      .dot.warn { background: var(--warn); }
      .dot.danger { background: var(--danger); }
      .dot.recording { background: var(--danger); animation: pulse 1.2s ease-in-out infinite; }
      @keyframes pulse { 50% { opacity: 0.35; } }
      @media (prefers-reduced-motion: reduce) { .dot.recording { animation: none; } }
      .countdown { font-variant-numeric: tabular-nums; margin-right: auto; font-weight: 600; }
      .counts { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 0.9375rem; }
      .bar { height: 10px; border-radius: 999px; background: var(--surface-2); overflow: hidden; margin: 10px 0 8px; border: 1px solid var(--border); }
      .fill { height: 100%; background: var(--accent); border-radius: inherit; transition: width 0.2s ease; }
      @media (prefers-reduced-motion: reduce) { .fill { transition: none; } }
      .fill.ok { background: var(--ok); }
      .fill.danger { background: var(--danger); }
      .share { display: flex; gap: 8px; align-items: center; margin-top: 12px; flex-wrap: wrap; }
      .share input { flex: 1 1 220px; font-family: var(--mono); font-size: 0.875rem; }
      .actions { margin-top: 12px; }
    `,
  ];

  override render() {
    const s = deriveStatus(this.progress, { recorder: this.recorder, online: this.online, now: this.now, backgroundSync: UploadStatus.backgroundSync });
    if (s.kind === 'waiting-server' && this.#tick === null) this.#tick = setInterval(() => (this.now = Date.now()), 1000);
    if (s.kind !== 'waiting-server') this.#stopTick();
    const dot = s.kind === 'recording' ? 'recording' : s.tone;
    const fill = s.kind === 'complete' ? 'ok' : s.kind === 'failed' ? 'danger' : '';
    return html`
      <div class="head">
        <div role="status" aria-live="polite" aria-atomic="true" class="status" data-status=${s.kind}>
          <span class="dot ${dot}" aria-hidden="true"></span>
          <span>${s.label}</span>
        </div>
        ${s.countdown ? html`<span class="countdown" data-testid="next-try">— ${s.countdown}</span>` : nothing}
        <span class="counts" data-testid="upload-counts"
          >${s.showPercent ? `${s.uploaded} / ${s.total} chunks uploaded · ${s.percent} %` : s.total > 0 ? `${s.uploaded} of ${s.total} chunks on the server` : ''}</span
        >
      </div>
      <div
        class="bar"
        role="progressbar"
        aria-label="Upload progress"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${s.percent}
        aria-valuetext="${s.uploaded} of ${s.total} chunks uploaded, ${s.percent} percent"
      >
        <div class="fill ${fill}" style="width: ${s.percent}%"></div>
      </div>
      ${s.detail ? html`<p class="muted small">${s.detail}</p>` : nothing}
      ${s.canRetry
        ? html`<div class="actions"><button class="primary" @click=${this.retry}>${s.retryLabel}</button></div>`
        : nothing}
      ${s.shareUrl
        ? html`<div class="share">
            <label class="visually-hidden" for="share">Share link</label>
            <input id="share" type="url" readonly .value=${s.shareUrl} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
            <button @click=${() => this.copy(s.shareUrl!)}>Copy link</button>
            <a class="button" href=${s.shareUrl} target="_blank" rel="noopener">Open</a>
            <span class="muted small" role="status">${this.copied ? 'Copied' : ''}</span>
          </div>`
        : nothing}
    `;
  }

  private retry(): void {
    this.now = Date.now();
    const recordingId = this.progress?.recordingId;
    if (!recordingId) return;
    this.dispatchEvent(new CustomEvent('retry-upload', { detail: { recordingId }, bubbles: true, composed: true }));
  }

  private async copy(url: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(url);
      this.copied = true;
      setTimeout(() => (this.copied = false), 2000);
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('#share')?.select();
    }
  }
}

customElements.define('upload-status', UploadStatus);

declare global {
  interface HTMLElementTagNameMap {
    'upload-status': UploadStatus;
  }
}
