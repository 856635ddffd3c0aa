/**
 * The Record screen: after Stop the review panel on top; then the stage (live preview, camera
 * bubble, countdown), source and microphone with its level, start / pause / resume / stop with
 * their keyboard shortcuts, the upload status of the current (or last) take, and device storage.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AppServices } from '../services.ts';
import { formatBytes, formatClock } from '../format.ts';
import { storageInfo, type StorageInfo } from '../storage.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { ConnectivityController, ProgressController } from '../ui/controllers.ts';
import type { BubblePlacement } from './bubble.ts';
import type { Source } from './media-sources.ts';
import { RecorderController } from './recorder-controller.ts';
import { SHORTCUTS, shortcutFor } from './shortcuts.ts';
import type { ReviewPanel } from './review-panel.ts';
import '../status/upload-status.ts';
import './recorder-stage.ts';
import './review-panel.ts';

const SOURCES: { value: Source; label: string }[] = [
  { value: 'camera', label: 'Camera' },
  { value: 'screen', label: 'Screen' },
  { value: 'screen+camera', label: 'Screen + camera' },
];

export class RecorderView extends LitElement {
  static override properties = {
    services: { attribute: false },
    active: { type: Boolean },
    storage: { state: true },
  };

  /** App services (outbox, uploader, API); set by the shell. */
  declare services: AppServices | null;
  /** True while the Record view is shown: the live preview runs only then (or while recording). */
  declare active: boolean;
  declare storage: StorageInfo | null;

  readonly recorder = new RecorderController(this);
  private readonly progress = new ProgressController(this);
  private readonly net = new ConnectivityController(this);
  private storageTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.services = null;
    this.active = false;
    this.storage = null;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      review-panel { margin-bottom: 20px; }
      .layout { display: grid; gap: 20px; grid-template-columns: minmax(0, 1fr); }
      @media (min-width: 900px) { .layout { grid-template-columns: minmax(0, 1fr) 340px; align-items: start; } }
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
      .level { height: 8px; background: var(--surface-2); border-radius: 999px; overflow: hidden; border: 1px solid var(--border); }
      .level div { height: 100%; background: var(--ok); transition: width 0.1s linear; }
      @media (prefers-reduced-motion: reduce) { .level div { transition: none; } }
      .controls { display: grid; gap: 10px; min-width: 0; }
      button.record { min-height: 52px; font-size: 1.0625rem; border-radius: 14px; }
      button.record .glyph { width: 14px; height: 14px; border-radius: 50%; background: currentColor; }
      button.stop .glyph { border-radius: 3px; }
      .clock { font-size: 2rem; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.02em; }
      .keys { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; font-size: 0.8125rem; color: var(--muted); margin: 0; }
      .keys dd { margin: 0; }
      kbd { font-family: var(--mono); font-size: 0.75rem; border: 1px solid var(--border); border-bottom-width: 2px; border-radius: 5px; padding: 0 5px; background: var(--surface-2); color: var(--text); }
      .side { display: grid; gap: 16px; min-width: 0; }
      .meter { height: 6px; background: var(--surface-2); border-radius: 999px; overflow: hidden; margin-top: 6px; }
      .meter div { height: 100%; background: var(--muted); }
      .status-card { margin-top: 20px; }
      /* Narrow screens: one column in task order — preview, then what to do next. */
      @media (max-width: 899px) {
        .main-col, .side { display: contents; }
        recorder-stage { order: 1; }
        .source { order: 2; }
        .controls { order: 3; }
        .status-card { order: 4; margin-top: 0; }
        .storage { order: 5; }
        .layout.busy .controls { order: 2; }
        .layout.busy .status-card { order: 3; }
        .layout.busy .source { order: 4; }
      }
    `,
  ];

  private readonly onKey = (e: KeyboardEvent) => {
    const action = shortcutFor(e);
    const r = this.recorder;
    if (!action) return;
    if (action === 'cancel') {
      if (r.phase === 'countdown') r.cancelCountdown();
      return;
    }
    e.preventDefault();
    if (action === 'start-stop') {
      if (r.phase === 'idle' && this.active) void r.start();
      else if (r.active || r.phase === 'countdown') void r.stop();
    } else if (r.phase === 'recording') r.pause();
    else if (r.phase === 'paused') r.resume();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refreshStorage();
    this.storageTimer = setInterval(() => void this.refreshStorage(), 10_000);
    addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.storageTimer) clearInterval(this.storageTimer);
    removeEventListener('keydown', this.onKey);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    this.recorder.services = this.services;
    this.progress.attach(this.services?.upload);
    if (changed.has('active') || changed.has('services')) void this.recorder.wantPreview(this.active && !!this.services);
  }

  override updated(): void {
    // Focus moves to the review panel after Stop, and to the link once it exists — unless the
    // user has meanwhile started typing a title.
    const take = this.recorder.take;
    const panel = this.renderRoot.querySelector<ReviewPanel>('review-panel');
    // The take is one mutable object (its sync state changes in place): re-render the panel with us.
    panel?.requestUpdate();
    if (!take || !panel) {
      this.focused = null;
      return;
    }
    const want = take.sync.shareUrl ? `${take.recordingId}:link` : `${take.recordingId}:panel`;
    if (this.focused === want) return;
    const typing = this.focused?.startsWith(take.recordingId) && panel.shadowRoot?.activeElement?.id === 'title';
    this.focused = want;
    if (!typing) void panel.focusLink();
  }

  private focused: string | null = null;

  private async refreshStorage(): Promise<void> {
    this.storage = await storageInfo();
  }

  override render() {
    const r = this.recorder;
    const busy = r.phase !== 'idle';
    const screenish = r.source !== 'camera';
    // While recording screen + camera the preview is the composite itself (what the file gets);
    // the bubble on top is then only an outline to drag.
    // While recording screen + camera, the bubble over the screen preview is an outline to drag:
    // in Chromium a <video> of the camera gets no frames while MediaStreamTrackProcessor feeds the
    // compositor from the same camera (seen with the fake device; the recorded file is unaffected).
    const main = r.source === 'camera' ? r.cameraStream : r.screen;
    return html`
      ${r.take
        ? html`<review-panel .take=${r.take} @close-review=${() => r.closeReview()}></review-panel>`
        : nothing}
      <div class="layout ${busy ? 'busy' : ''}">
        <section class="main-col" aria-label="Preview">
          <recorder-stage
            .main=${main}
            .bubble=${r.source === 'screen+camera' && !r.recorded ? r.cameraStream : null}
            .placement=${r.placement}
            ?showHandle=${r.source === 'screen+camera'}
            .countdown=${r.phase === 'countdown' ? r.countdownLeft : 0}
            .rec=${r.active ? { paused: r.phase === 'paused', elapsedMs: r.elapsedMs } : null}
            placeholder=${this.placeholder()}
            @bubble-move=${(e: CustomEvent<BubblePlacement>) => r.setPlacement(e.detail)}
            @cancel-countdown=${() => r.cancelCountdown()}
          ></recorder-stage>
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
                    <input type="radio" name="source" .value=${s.value} .checked=${r.source === s.value} @change=${() => r.setSource(s.value)} />
                    <span>${s.label}</span>
                  </label>`,
                )}
              </div>
            </fieldset>
            <label class="switch">
              <span>Microphone</span>
              <input type="checkbox" .checked=${r.microphone} ?disabled=${busy} @change=${(e: Event) => r.setMicrophone((e.target as HTMLInputElement).checked)} />
            </label>
            ${r.microphone
              ? html`<div class="level" role="meter" aria-label="Microphone level" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(r.mic.level * 100)}>
                  <div style="width:${Math.round(r.mic.level * 100)}%"></div>
                </div>
                ${r.micUnavailable ? html`<p class="small" style="color:var(--warn)">The microphone could not be opened; recordings will have no sound.</p>` : nothing}`
              : nothing}
            ${screenish ? html`<p class="muted small">${r.source === 'screen' ? 'You choose the screen, window or tab when you press Start.' : 'You choose the screen when you press Start. Drag the camera bubble, or press it to move it to another corner — before or during recording.'}</p>` : nothing}
            ${r.previewError ? html`<p class="notice danger" role="alert">${r.previewError}</p>` : nothing}
          </div>
          <div class="card controls">
            <div class="clock" role="timer" aria-label="Elapsed time">${formatClock(r.active ? r.elapsedMs : 0)}</div>
            ${r.active ? this.renderActiveControls() : html`
              <button class="danger record" @click=${() => r.start()} ?disabled=${busy || !this.services}>
                <span class="glyph" aria-hidden="true"></span>${r.phase === 'countdown' ? `Starting in ${r.countdownLeft}…` : 'Start recording'}
              </button>`}
            ${r.notice ? html`<p class="notice ${r.notice.tone}" role="alert">${r.notice.text}</p>` : nothing}
            <dl class="keys" aria-label="Keyboard shortcuts">
              ${SHORTCUTS.map((s) => html`<dt><kbd>${s.keys}</kbd></dt><dd>${s.label}</dd>`)}
            </dl>
          </div>
          ${this.renderStorage()}
        </aside>
      </div>
    `;
  }

  private placeholder(): string {
    const r = this.recorder;
    if (r.phase === 'starting') return 'Opening the source…';
    if (r.source === 'camera') return r.previewError ? 'No camera preview.' : 'Opening the camera preview…';
    return 'Your screen appears here when you press Start.';
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
