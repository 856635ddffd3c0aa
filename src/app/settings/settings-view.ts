/**
 * Settings: upload concurrency, attempts, backoff, bandwidth cap, chunk length, keeping the local
 * copy. Saved in the outbox (the worker reads them there) and announced to the uploader. Below
 * them the account and the upload history (figures per recording, analytics-view).
 */
import { LitElement, css, html, nothing } from 'lit';
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings.ts';
import type { AppServices } from '../services.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import '../analytics/analytics-view.ts';
import { parseSettingsForm, toFormValues, type SettingsField, type SettingsFormValues } from './settings-form.ts';

interface FieldSpec {
  key: Exclude<keyof SettingsFormValues, 'keepLocalCopy'>;
  error: SettingsField;
  label: string;
  hint: string;
  min: number;
  max: number;
  step: number;
  unit?: string;
}

const FIELDS: FieldSpec[] = [
  { key: 'concurrency', error: 'concurrency', label: 'Parallel uploads', hint: 'Chunks sent at the same time (1–4).', min: 1, max: 4, step: 1 },
  { key: 'maxAttempts', error: 'maxAttempts', label: 'Attempts per chunk', hint: 'After this many quick tries a chunk shows as failed; it is kept and retried about every 45 s until the server takes it.', min: 1, max: 10, step: 1 },
  { key: 'backoffBaseMs', error: 'backoffBaseMs', label: 'First retry delay', hint: 'Doubles after each failure (1, 2, 4, 8 … s by default).', min: 100, max: 60000, step: 100, unit: 'ms' },
  { key: 'bandwidthCapKbps', error: 'bandwidthCapKbps', label: 'Upload bandwidth cap', hint: '0 means no cap.', min: 0, max: 1000000, step: 100, unit: 'kbit/s' },
  { key: 'chunkSeconds', error: 'chunkMs', label: 'Chunk length', hint: 'Applies to the next recording (0.5–10 s).', min: 0.5, max: 10, step: 0.5, unit: 's' },
];

export class SettingsView extends LitElement {
  static override properties = {
    services: { attribute: false },
    active: { type: Boolean },
    userName: { attribute: false },
    usage: { attribute: false },
    values: { state: true },
    errors: { state: true },
    saved: { state: true },
  };

  /** App services; set by the shell. */
  declare services: AppServices | null;
  /** True while the Settings tab is shown (reloads the stored values on activation). */
  declare active: boolean;
  /** Signed-in user's name, shown in the account section. */
  declare userName: string | null;
  /** The account's usage and limits in words (from GET /me; empty when the server sends none). */
  declare usage: string[];
  declare values: SettingsFormValues;
  declare errors: Partial<Record<SettingsField, string>>;
  declare saved: boolean;
  private base: Settings = DEFAULT_SETTINGS;

  constructor() {
    super();
    this.services = null;
    this.active = false;
    this.userName = null;
    this.usage = [];
    this.values = toFormValues(DEFAULT_SETTINGS);
    this.errors = {};
    this.saved = false;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      form { display: grid; gap: 28px; }
      .grid { display: grid; gap: 18px; grid-template-columns: minmax(0, 1fr); }
      @media (min-width: 720px) { .grid { grid-template-columns: 1fr 1fr; } }
      .field { display: grid; gap: 6px; align-content: start; }
      .input { display: flex; align-items: center; gap: 8px; }
      .input input { max-width: 180px; }
      .input span { color: var(--muted); font-size: 0.875rem; }
      fieldset { border: none; margin: 0; padding: 0; min-width: 0; display: grid; gap: 16px; }
      legend { font-size: 1rem; font-weight: 650; padding: 0; margin-bottom: 14px; }
      .check .hint { font-weight: 400; display: block; margin-top: 2px; }
      .check span { font-weight: 550; }
      .hint { font-size: 0.8125rem; color: var(--muted); }
      .error { font-size: 0.8125rem; color: var(--danger); font-weight: 550; }
      input[aria-invalid='true'] { border-color: var(--danger); }
      .check { display: flex; gap: 12px; align-items: start; }
      .check input { width: 20px; height: 20px; margin-top: 2px; accent-color: var(--accent); flex: none; }
      .foot { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
      .account h2 { font-size: 1rem; }
      .history { margin-top: 32px; }
      .account { margin-top: 20px; display: flex; justify-content: space-between; align-items: center; gap: 12px; flex-wrap: wrap; }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('active') || changed.has('services')) && this.active && this.services) void this.load();
  }

  private async load(): Promise<void> {
    if (!this.services) return;
    this.base = await this.services.outbox.getSettings();
    this.values = toFormValues(this.base);
    this.errors = {};
  }

  override render() {
    return html`
      <form class="card" novalidate @submit=${this.save}>
        <fieldset>
          <legend>Uploads</legend>
          <div class="grid">${FIELDS.filter((f) => f.key !== 'chunkSeconds').map((f) => this.renderField(f))}</div>
        </fieldset>
        <fieldset>
          <legend>Recording</legend>
          <div class="grid">${FIELDS.filter((f) => f.key === 'chunkSeconds').map((f) => this.renderField(f))}</div>
          <label class="check">
            <input type="checkbox" .checked=${this.values.keepLocalCopy} @change=${this.setKeep} />
            <span>Keep a copy on this device after upload<span class="hint">Plays offline and can be exported; uses storage until you delete it.</span></span>
          </label>
        </fieldset>
        <div class="foot">
          <button class="primary" type="submit">Save settings</button>
          <button class="ghost" type="button" @click=${this.reset}>Restore defaults</button>
          <span role="status" class="small muted">${this.saved ? 'Saved. The uploader uses the new settings now.' : ''}</span>
        </div>
      </form>
      <div class="card account">
        <div>
          <h2>Account</h2>
          <p class="muted small">${this.userName ? html`Signed in as <strong>${this.userName}</strong>` : 'Signed in'}</p>
          ${this.usage.map((line) => html`<p class="muted small" data-testid="usage">${line}</p>`)}
        </div>
        <button class="ghost" @click=${() => this.dispatchEvent(new CustomEvent('sign-out', { bubbles: true, composed: true }))}>Sign out</button>
      </div>
      <analytics-view class="history" .services=${this.services} .active=${this.active}></analytics-view>
    `;
  }

  private renderField(f: FieldSpec) {
    const err = this.errors[f.error];
    const id = `f-${f.key}`;
    return html`<div class="field">
      <label for=${id}>${f.label}</label>
      <div class="input">
        <input id=${id} type="number" inputmode="decimal" min=${f.min} max=${f.max} step=${f.step}
          .value=${this.values[f.key]} aria-invalid=${err ? 'true' : 'false'} aria-describedby="${id}-hint ${id}-err"
          @input=${(e: Event) => this.set(f.key, (e.target as HTMLInputElement).value)} />
        ${f.unit ? html`<span>${f.unit}</span>` : nothing}
      </div>
      <p class="hint" id="${id}-hint">${f.hint}</p>
      <p class="error" id="${id}-err">${err ?? ''}</p>
    </div>`;
  }

  private setKeep(e: Event): void {
    this.values = { ...this.values, keepLocalCopy: (e.target as HTMLInputElement).checked };
    this.saved = false;
  }

  private set(key: FieldSpec['key'], value: string): void {
    this.values = { ...this.values, [key]: value };
    this.saved = false;
  }

  private reset(): void {
    this.values = toFormValues(DEFAULT_SETTINGS);
    this.errors = {};
    this.saved = false;
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    const r = parseSettingsForm(this.values, this.base);
    if (!r.ok) {
      this.errors = r.errors;
      this.saved = false;
      return;
    }
    if (!this.services) return;
    this.base = await this.services.outbox.saveSettings(r.value);
    this.services.upload.settingsChanged();
    this.errors = {};
    this.saved = true;
  }
}

customElements.define('settings-view', SettingsView);

declare global {
  interface HTMLElementTagNameMap {
    'settings-view': SettingsView;
  }
}
