/**
 * <outbox-app>: header (brand, connectivity), navigation between Recorder, Library, Settings and
 * Analytics, the sign-in screen, and the update prompt. Views stay mounted while hidden so a
 * recording goes on while the user browses the library.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AppServices } from './services.ts';
import { SessionController } from './auth/session-controller.ts';
import { ConnectivityController } from './ui/controllers.ts';
import { sharedStyles } from './ui/shared-styles.ts';
import './auth/sign-in-view.ts';
import './recorder/recorder-view.ts';
import './library/library-view.ts';
import './settings/settings-view.ts';
import './analytics/analytics-view.ts';

export type ViewName = 'recorder' | 'library' | 'settings' | 'analytics';

const VIEWS: { name: ViewName; label: string }[] = [
  { name: 'recorder', label: 'Record' },
  { name: 'library', label: 'Library' },
  { name: 'analytics', label: 'Analytics' },
  { name: 'settings', label: 'Settings' },
];

export class OutboxApp extends LitElement {
  static override properties = {
    services: { attribute: false },
    view: { type: String, reflect: true },
    updateAvailable: { state: true },
  };

  /** Outbox, uploader and API client; set once by main.ts. */
  declare services: AppServices | null;
  /** The visible view. */
  declare view: ViewName;
  declare updateAvailable: boolean;

  readonly session = new SessionController(this);
  private readonly net = new ConnectivityController(this);
  private offs: (() => void)[] = [];

  constructor() {
    super();
    this.services = null;
    this.view = 'recorder';
    this.updateAvailable = false;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; min-height: 100vh; }
      .top {
        position: sticky; top: 0; z-index: 10; background: color-mix(in srgb, var(--bg) 88%, transparent);
        backdrop-filter: saturate(1.4) blur(10px); border-bottom: 1px solid var(--border);
      }
      .bar { max-width: 1180px; margin: 0 auto; padding: 10px 20px; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
      .brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 1.0625rem; letter-spacing: -0.01em; margin-right: auto; }
      .brand img { width: 30px; height: 30px; border-radius: 8px; box-shadow: 0 0 0 1px var(--border); }
      nav { display: grid; grid-template-columns: repeat(4, 1fr); gap: 4px; order: 3; width: 100%; }
      @media (min-width: 720px) { nav { display: flex; order: 0; width: auto; } }
      nav button { background: transparent; border-color: transparent; color: var(--muted); min-height: 36px; padding: 6px 12px; }
      @media (max-width: 719px) { nav button { padding: 6px 4px; font-size: 0.875rem; } }
      nav button[aria-current='page'] { background: var(--surface-2); color: var(--text); border-color: var(--border); }
      .net { font-size: 0.8125rem; }
      main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
      @media (max-width: 480px) { main { padding: 16px 12px 40px; } .bar { padding: 8px 12px; } }
      .banner { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
      .prompt { margin-bottom: 20px; }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offs.forEach((off) => off());
    this.offs = [];
    this.booted = false;
  }

  override willUpdate(): void {
    if (this.services && !this.booted) void this.boot(this.services);
  }

  private booted = false;

  private async boot(services: AppServices): Promise<void> {
    this.booted = true;
    this.offs.push(
      services.upload.onMessage((m) => {
        if (m.type === 'auth/required') this.session.authRequired();
      }),
      services.upload.onUpdateAvailable(() => (this.updateAvailable = true)),
    );
    await this.session.init(services);
  }

  override render() {
    const st = this.session.status;
    this.hasStarted ||= this.session.signedIn;
    const showApp = this.session.signedIn || (st === 'refused' && this.hasStarted);
    return html`
      <header class="top">
        <div class="bar">
          <div class="brand"><img src="/logo.svg" alt="" />Outbox Recorder</div>
          ${showApp
            ? html`<nav aria-label="Main">
                ${VIEWS.map(
                  (v) => html`<button aria-current=${this.view === v.name ? 'page' : 'false'} @click=${() => (this.view = v.name)}>${v.label}</button>`,
                )}
              </nav>`
            : nothing}
          <span class="badge net ${this.net.online ? 'ok' : 'warn'}" role="status" data-testid="connectivity">
            ${this.net.online ? 'Online' : 'Offline'}
          </span>
        </div>
      </header>
      <main>
        ${this.updateAvailable
          ? html`<div class="notice banner" role="status">
              <span>A new version of Outbox Recorder is ready.</span>
              <button class="primary" @click=${() => this.services?.upload.applyUpdate()}>Update</button>
            </div>`
          : nothing}
        ${st === 'checking' ? html`<p class="muted" role="status">Loading…</p>` : nothing}
        ${!showApp && (st === 'signed-out' || st === 'refused') ? this.renderSignIn(false) : nothing}
        ${showApp && st === 'refused' ? html`<div class="prompt">${this.renderSignIn(true)}</div>` : nothing}
        ${this.hasStarted ? this.renderViews(showApp) : nothing}
      </main>
    `;
  }

  /** Once the app was shown, views stay mounted (a recording must survive a token refusal). */
  private hasStarted = false;

  private renderSignIn(compact: boolean) {
    return html`<sign-in-view
      ?compact=${compact}
      reason=${this.session.status === 'refused' ? 'refused' : 'signed-out'}
      .error=${this.session.formError}
      ?busy=${this.session.busy}
      @sign-in=${(e: CustomEvent<{ input: string }>) => this.session.signIn(e.detail.input)}
    ></sign-in-view>`;
  }

  private renderViews(visible: boolean) {
    const s = this.services;
    const is = (v: ViewName) => visible && this.view === v;
    return html`
      <recorder-view .services=${s} ?hidden=${!is('recorder')}></recorder-view>
      <library-view .services=${s} .active=${is('library')} ?hidden=${!is('library')}></library-view>
      <analytics-view .services=${s} .active=${is('analytics')} ?hidden=${!is('analytics')}></analytics-view>
      <settings-view .services=${s} .active=${is('settings')} .userName=${this.session.userName} ?hidden=${!is('settings')}
        @sign-out=${() => this.session.signOut()}></settings-view>
    `;
  }
}

customElements.define('outbox-app', OutboxApp);

declare global {
  interface HTMLElementTagNameMap {
    'outbox-app': OutboxApp;
  }
}
