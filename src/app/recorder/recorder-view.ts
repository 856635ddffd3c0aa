/**
 * The Recorder screen: source and microphone, live preview, start / pause / resume / stop,
 * elapsed time, storage usage and the upload status of the current (or last) recording.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AppServices } from '../services.ts';
import { formatBytes, formatClock } from '../format.ts';
import { storageInfo, type StorageInfo } from '../storage.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { ConnectivityController, ProgressController } from '../ui/controllers.ts';
import type { Source } from './media-sources.ts';
import { RecorderController } from './recorder-controller.ts';
import '../status/upload-status.ts';

const SOURCES: { value: Source; label: string }[] = [
  { value: 'camera', label: 'Camera' },
  { value: 'screen', label: 'Screen' },
  { value: 'screen+camera', label: 'Screen + camera' },
];

export class RecorderView extends LitElement {
  static override properties = {
    services: { attribute: false },
    storage: { state: true },
  };

  /** App services (outbox, uploader, API); set by the shell. */
  declare services: AppServices | null;
  declare storage: StorageInfo | null;

  readonly recorder = new RecorderController(this);
  private readonly progress = new ProgressController(this);
  private readonly net = new ConnectivityController(this);
  private storageTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.services = null;
    this.storage = null;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      .layout { display: grid; gap: 20px; grid-template-columns: minmax(0, 1fr); }
      @media (min-width: 900px) { .layout { grid-template-columns: minmax(0, 1fr) 340px; align-items: start; } }
      .stage {
        position: relative; aspect-ratio: 16 / 9; border-radius: var(--radius); overflow: hidden;
        background: #0b1120; display: grid; place-items: center; border: 1px solid var(--border);
      }
      .stage video.main { width: 100%; height: 100%; object-fit: contain; background: #000; }
      .stage video.overlay {
        position: absolute; right: 12px; bottom: 12px; width: 24%; aspect-ratio: 4 / 3; object-fit: cover;
        border-radius: 10px; border: 2px solid rgb(255 255 255 / 0.8); background: #000;
      }
      .placeholder { color: #cbd5e1; text-align: center; padding: 24px; display: grid; gap: 8px; justify-items: center; }
      .placeholder svg { width: 48px; height: 48px; opacity: 0.85; }
      .rec {
        position: absolute; left: 12px; top: 12px; display: inline-flex; align-items: center; gap: 8px;
        background: rgb(15 23 42 / 0.72); color: #fff; padding: 4px 12px; border-radius: 999px;
        font-weight: 650; font-variant-numeric: tabular-nums; font-size: 0.9375rem;
      }
      .rec .dot { width: 10px; height: 10px; border-radius: 50%; background: #ef4444; }
      .rec.paused .dot { background: #fbbf24; }
      fieldset { border: none; margin: 0; padding: 0; min-width: 0; }
      legend { font-weight: 600; margin-bottom: 8px; padding: 0; }
      .segmented { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4px; background: var(--surface-2); padding: 4px; border-radius: 12px; border: 1px solid var(--border); }
      .segmented label { position: relative; }
      .segmented input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
      .segmented span {
        display: flex; align-items: center; justify-content: center; text-align: center; min-height: 40px; padding: 4px 6px;
        border-radius: 9px; font-size: 0.875rem; font-weight: 550; color: var(--muted); line-height: 1.2;
      }
      .segmented input:checked + span { background: var(--surface); color: var(--text); box-shadow: var(--shadow); }
      .segmented input:focus-visible + span { outline: 3px solid var(--focus); outline-offset: 1px; }
      .segmented input:disabled + span { opacity: 0.6; }
      .switch { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
      .switch input { width: 20px; height: 20px; accent-color: var(--accent); }
      .controls { display: grid; gap: 10px; min-width: 0; }
      button.record { min-height: 52px; font-size: 1.0625rem; border-radius: 14px; }
      button.record .glyph { width: 14px; height: 14px; border-radius: 50%; background: currentColor; }
      button.stop .glyph { border-radius: 3px; }
      .clock { font-size: 2rem; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.02em; }
      .side { display: grid; gap: 16px; min-width: 0; }
      .meter { height: 6px; background: var(--surface-2); border-radius: 999px; overflow: hidden; margin-top: 6px; }
      .meter div { height: 100%; background: var(--muted); }
      .status-card { margin-top: 20px; }
      /* Narrow screens: one column in task order — preview, then what to do next. */
      @media (max-width: 899px) {
        .main-col, .side { display: contents; }
        .stage { order: 1; }
        .source { order: 2; }
        .controls { order: 3; }
        .status-card { order: 4; margin-top: 0; }
        .storage { order: 5; }
        .layout.active .controls { order: 2; }
        .layout.active .status-card { order: 3; }
        .layout.active .source { order: 4; }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refreshStorage();
    this.storageTimer = setInterval(() => void this.refreshStorage(), 10_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.storageTimer) clearInterval(this.storageTimer);
  }

  override willUpdate(): void {
    this.recorder.services = this.services;
    this.progress.attach(this.services?.upload);
  }

  override updated(): void {
    // Autoplay does not start a stream assigned after the element was created (srcObject is a
    // property, set by Lit after insertion), so start the previews explicitly.
    for (const v of this.renderRoot.querySelectorAll('video')) {
      if (v.srcObject && v.paused) v.play().catch(() => {});
    }
  }

  private async refreshStorage(): Promise<void> {
    this.storage = await storageInfo();
  }

  override render() {
    const r = this.recorder;
    const busy = r.phase !== 'idle';
    return html`
      <div class="layout ${r.active ? 'active' : ''}">
        <section class="main-col" aria-label="Preview">
          <div class="stage">
            ${r.preview
              ? html`<video class="main" .srcObject=${r.preview} autoplay muted playsinline aria-label="Live preview"></video>`
              : html`<div class="placeholder">
                  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true">
                    <rect x="2.5" y="6" width="13" height="12" rx="2.5" />
                    <path d="M15.5 10.5 21 7.5v9l-5.5-3" stroke-linejoin="round" />
                  </svg>
                  <p>${r.phase === 'starting' ? 'Opening the source…' : 'Your preview appears here when you start recording.'}</p>
                  <p class="small" style="opacity:.75">Every chunk is saved on this device first, then uploaded while you record.</p>
                </div>`}
            ${r.overlay ? html`<video class="overlay" .srcObject=${r.overlay} autoplay muted playsinline aria-label="Camera preview"></video>` : nothing}
            ${r.active
              ? html`<div class="rec ${r.phase === 'paused' ? 'paused' : ''}" aria-hidden="true">
                  <span class="dot"></span>${r.phase === 'paused' ? 'PAUSED' : 'REC'} ${formatClock(r.elapsedMs)}
                </div>`
              : nothing}
          </div>
          ${r.recordingId
            ? html`<div class="card status-card">
                <upload-status
                  .progress=${this.progress.recording(r.recordingId)}
                  .recorder=${r.active ? (r.phase as 'recording' | 'paused' | 'stopping') : null}
                  .online=${this.net.online}
                  @retry-upload=${(e: CustomEvent<{ recordingId: string }>) => this.services?.upload.retry(e.detail.recordingId)}
                ></upload-status>
              </div>`
            : nothing}
        </section>
        <aside class="side">
          <div class="card stack source">
            <fieldset ?disabled=${busy}>
              <legend>Source</legend>
              <div class="segmented">
                ${SOURCES.map(
                  (s) => html`<label>
                    <input type="radio" name="source" .value=${s.value} .checked=${r.source === s.value}
                      @change=${() => { r.source = s.value; this.requestUpdate(); }} />
                    <span>${s.label}</span>
                  </label>`,
                )}
              </div>
            </fieldset>
            <label class="switch">
              <span>Microphone</span>
              <input type="checkbox" .checked=${r.microphone} ?disabled=${busy}
                @change=${(e: Event) => { r.microphone = (e.target as HTMLInputElement).checked; this.requestUpdate(); }} />
            </label>
            ${r.source === 'screen+camera'
              ? html`<p class="muted small">The screen is recorded; the camera shows in your preview only.</p>`
              : nothing}
          </div>
          <div class="card controls">
            <div class="clock" role="timer" aria-label="Elapsed time">${formatClock(r.elapsedMs)}</div>
            ${r.active ? this.renderActiveControls() : html`
              <button class="danger record" @click=${() => r.start()} ?disabled=${r.phase === 'starting' || !this.services}>
                <span class="glyph" aria-hidden="true"></span>Start recording
              </button>`}
            ${r.notice ? html`<p class="notice ${r.notice.tone}" role="alert">${r.notice.text}</p>` : nothing}
          </div>
          ${this.renderStorage()}
        </aside>
      </div>
    `;
  }

  private renderActiveControls() {
    const r = this.recorder;
    return html`
      <div style="display:grid;grid-template-columns:auto 1fr;gap:10px">
        ${r.phase === 'paused'
          ? html`<button @click=${() => r.resume()}>Resume</button>`
          : html`<button @click=${() => r.pause()} ?disabled=${r.phase !== 'recording'}>Pause</button>`}
        <button class="danger record stop" @click=${() => r.stop()} ?disabled=${r.phase === 'stopping'}>
          <span class="glyph" aria-hidden="true"></span>Stop recording
        </button>
      </div>
    `;
  }

  private renderStorage() {
    const s = this.storage;
    if (!s || s.usage === null) return nothing;
    const pct = s.quota ? Math.min(100, (s.usage / s.quota) * 100) : 0;
    return html`
      <div class="card small storage">
        <div class="row" style="justify-content:space-between">
          <span>Storage on this device</span>
          ${s.persisted ? html`<span class="badge ok">Persistent</span>` : html`<span class="badge">Best effort</span>`}
        </div>
        <div class="meter" aria-hidden="true"><div style="width:${Math.max(pct, 0.5)}%"></div></div>
        <p class="muted" style="margin-top:6px">${formatBytes(s.usage)} used${s.quota ? html` of ${formatBytes(s.quota)}` : nothing}</p>
      </div>
    `;
  }
}

customElements.define('recorder-view', RecorderView);

declare global {
  interface HTMLElementTagNameMap {
    'recorder-view': RecorderView;
  }
}
