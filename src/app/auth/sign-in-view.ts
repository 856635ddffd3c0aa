/**
 * The sign-in prompt: shown full-screen when no token is stored or the server refused it at
 * start-up, and as a panel over the app when the uploader reports 401 (recording goes on;
 * uploads wait for the new token).
 */
import { LitElement, css, html, nothing } from 'lit';
import { sharedStyles } from '../ui/shared-styles.ts';

export class SignInView extends LitElement {
  static override properties = {
    reason: { type: String },
    error: { attribute: false },
    busy: { type: Boolean },
    compact: { type: Boolean },
  };

  /** Why sign-in is needed: nothing stored, or the stored token was refused. */
  declare reason: 'signed-out' | 'refused';
  /** Message from the last attempt, or null. */
  declare error: string | null;
  declare busy: boolean;
  /** Panel form (inside the app) instead of the full screen. */
  declare compact: boolean;

  constructor() {
    super();
    this.reason = 'signed-out';
    this.error = null;
    this.busy = false;
    this.compact = false;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      .screen { min-height: calc(100vh - 120px); display: grid; place-items: center; padding: 24px 0; }
      .card { max-width: 520px; width: 100%; display: grid; gap: 16px; }
      :host([compact]) .card { max-width: none; border-left: 4px solid var(--warn); }
      img { width: 56px; height: 56px; }
      h1 { font-size: 1.5rem; letter-spacing: -0.01em; }
      form { display: grid; gap: 8px; }
      .line { display: flex; gap: 8px; flex-wrap: wrap; }
      .line input { flex: 1 1 240px; }
      code { font-family: var(--mono); font-size: 0.875em; background: var(--surface-2); padding: 1px 6px; border-radius: 6px; overflow-wrap: anywhere; }
    `,
  ];

  override render() {
    const refused = this.reason === 'refused';
    const body = html`
      <div class="card" role=${this.compact ? 'alert' : nothing}>
        ${this.compact ? nothing : html`<img src="/logo.svg" alt="" />`}
        ${this.compact
          ? html`<h2>Sign in again to keep uploading</h2>`
          : html`<h1>${refused ? 'Your sign-in has expired' : 'Sign in to Outbox Recorder'}</h1>`}
        <p class="muted">
          ${refused
            ? 'The server refused the saved token — it may have been revoked. Your recordings stay safe on this device; uploads resume as soon as you sign in again.'
            : html`Open the link the server printed when it started — it looks like <code>http://localhost:8080/#token=…</code> — or paste it below.`}
        </p>
        <form @submit=${this.submit}>
          <label for="token">Sign-in link or token</label>
          <div class="line">
            <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="http://…/#token=…" aria-invalid=${this.error ? 'true' : 'false'} aria-describedby="err" />
            <button class="primary" type="submit" ?disabled=${this.busy}>Sign in</button>
          </div>
          <p id="err" class="small" style="color:var(--danger)" role="alert">${this.error ?? ''}</p>
        </form>
      </div>
    `;
    return this.compact ? body : html`<div class="screen">${body}</div>`;
  }

  private submit(e: Event): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#token');
    this.dispatchEvent(new CustomEvent('sign-in', { detail: { input: input?.value ?? '' }, bubbles: true, composed: true }));
  }
}

customElements.define('sign-in-view', SignInView);

declare global {
  interface HTMLElementTagNameMap {
    'sign-in-view': SignInView;
  }
}
