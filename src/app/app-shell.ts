/**
 * <outbox-app>: header (brand, navigation, the recording indicator with Stop, connectivity), the
 * view named by the URL (router.ts), the sign-in screen, the update prompt, and the notice about a
 * take a reload or crash interrupted. Views stay mounted while hidden so a recording goes on while
 * the user browses the library. While recording, the tab title reads "● REC 0:12" and leaving the
 * page asks first (`beforeunload`, armed only then).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AppServices } from './services.ts';
import { SessionController } from './auth/session-controller.ts';
import { ConnectivityController } from './ui/controllers.ts';
import { sharedStyles } from './ui/shared-styles.ts';
import { formatClock } from './format.ts';
import { hasToken, hashFor, viewFromHash, VIEWS, type ViewName } from './router.ts';
import type { InterruptedTake } from './recorder/interrupted.ts';
import type { RecorderView } from './recorder/recorder-view.ts';
import { recordingTitle } from './recording-title.ts';
import { usageLines } from './settings/account-usage.ts';
import './auth/sign-in-view.ts';

/**
 * Views load when the app is shown, the recorder first (it stays mounted under every view), then
 * the one in the URL: a first visit, signed out, downloads and runs the shell and the sign-in form
 * only. The service worker precaches every view, so they still open offline.
 */
const VIEW_MODULES: Record<ViewName, () => Promise<unknown>> = {
  recorder: () => import('./recorder/recorder-view.ts'),
  library: () => import('./library/library-view.ts'),
  settings: () => import('./settings/settings-view.ts'),
};
const loadView = (view: ViewName) => void VIEW_MODULES[view]().catch(() => undefined); // retried on the next update

export type { ViewName } from './router.ts';

export class OutboxApp extends LitElement {
  static override properties = {
    services: { attribute: false },
    view: { type: String, reflect: true },
    interrupted: { attribute: false },
    updateAvailable: { state: true },
  };

  /** Outbox, uploader and API client; set once by main.ts. */
  declare services: AppServices | null;
  /** The visible view (follows the URL). */
  declare view: ViewName;
  /** Takes that a reload or crash cut short, found at start-up (set by main.ts). */
  declare interrupted: InterruptedTake[];
  declare updateAvailable: boolean;

  readonly session = new SessionController(this);
  private readonly net = new ConnectivityController(this);
  private offs: (() => void)[] = [];
  private unloadArmed = false;

  constructor() {
    super();
    this.services = null;
    this.view = viewFromHash(location.hash);
    this.interrupted = [];
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
      .bar { max-width: 1180px; margin: 0 auto; padding: 10px 20px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
      .brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 1.0625rem; letter-spacing: -0.01em; margin-right: auto; }
      .brand img { width: 30px; height: 30px; border-radius: 8px; box-shadow: 0 0 0 1px var(--border); }
      nav { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4px; order: 3; width: 100%; }
      @media (min-width: 720px) { nav { display: flex; order: 0; width: auto; } }
      nav button { background: transparent; border-color: transparent; color: var(--muted); min-height: 36px; padding: 6px 12px; }
      @media (max-width: 719px) { nav button { padding: 6px 4px; font-size: 0.875rem; } }
      nav button[aria-current='page'] { background: var(--surface-2); color: var(--text); border-color: var(--border); }
      .net { font-size: 0.8125rem; }
      .live { display: inline-flex; align-items: center; gap: 6px; }
      /* A fixed dark red with white text: readable in both schemes (WCAG AA 4.5:1 and more). */
      .live .badge { background: #b91c1c; color: #fff; font-variant-numeric: tabular-nums; }
      .live .dot { width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
      .live button { min-height: 32px; padding: 4px 12px; }
      main { max-width: 1180px; margin: 0 auto; padding: 20px 20px 48px; }
      @media (max-width: 480px) { main { padding: 12px 12px 40px; } .bar { padding: 8px 12px; gap: 8px; } }
      h1 { font-size: 1.375rem; font-weight: 700; letter-spacing: -0.015em; margin-bottom: 16px; }
      @media (max-width: 480px) { h1 { font-size: 1.125rem; margin-bottom: 10px; } }
      .banner { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
      .banner .row { gap: 8px; }
      .prompt { margin-bottom: 20px; }
    `,
  ];

  private readonly onHash = () => void this.routeFromUrl();
  private readonly onBeforeUnload = (e: BeforeUnloadEvent) => {
    // Chromium and Firefox ask "Leave site?" when the event is cancelled; returnValue is for Safari.
    e.preventDefault();
    e.returnValue = '';
  };

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    // The recorder view's module loads after the shell's first renders, so the shell's `updated()`
    // may find the element not yet upgraded (no `recorder`) and hook nothing; update once more when
    // it is defined, or the tab title and beforeunload would not follow a recording.
    void customElements.whenDefined('recorder-view').then(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.onHash);
    this.armUnload(false);
    this.offs.forEach((off) => off());
    this.offs = [];
    this.booted = false;
  }

  override willUpdate(): void {
    if (this.services && !this.booted) void this.boot(this.services);
    if (this.session.signedIn || this.hasStarted) {
      loadView('recorder');
      loadView(this.view);
    }
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

  private async routeFromUrl(): Promise<void> {
    if (hasToken(location.hash)) {
      await this.session.takeTokenFromUrl();
      this.go(this.view, { replace: true });
      return;
    }
    this.view = viewFromHash(location.hash);
  }

  /** Shows a view and gives it a history entry (replace: no new entry). */
  go(view: ViewName, opts: { replace?: boolean } = {}): void {
    const url = location.pathname + location.search + hashFor(view);
    if (opts.replace) history.replaceState(history.state, '', url);
    else if (location.hash !== hashFor(view)) history.pushState(null, '', url);
    this.view = view;
  }

  private get recorderView(): RecorderView | null {
    return this.renderRoot.querySelector('recorder-view');
  }

  override updated(): void {
    const r = this.recorderView?.recorder;
    if (r && r.onChange !== this.recorderChanged) r.onChange = this.recorderChanged;
    this.syncTitleAndUnload();
  }

  private readonly recorderChanged = () => {
    this.requestUpdate();
  };

  private syncTitleAndUnload(): void {
    const r = this.recorderView?.recorder;
    const viewLabel = VIEWS.find((v) => v.name === this.view)?.label ?? 'Record';
    document.title = recordingTitle(r ? { phase: r.phase, elapsedMs: r.elapsedMs, countdown: r.countdownLeft } : null, viewLabel);
    this.armUnload(!!r?.active);
  }

  private armUnload(on: boolean): void {
    if (on === this.unloadArmed) return;
    this.unloadArmed = on;
    if (on) addEventListener('beforeunload', this.onBeforeUnload);
    else removeEventListener('beforeunload', this.onBeforeUnload);
  }

  override render() {
    const st = this.session.status;
    this.hasStarted ||= this.session.signedIn;
    const showApp = this.session.signedIn || (st === 'refused' && this.hasStarted);
    const r = this.recorderView?.recorder;
    const heading = VIEWS.find((v) => v.name === this.view)!.heading;
    return html`
      <header class="top">
        <div class="bar">
          <div class="brand"><img src="/logo.svg" alt="" />Outbox Recorder</div>
          ${r?.active
            ? html`<div class="live" role="group" aria-label="Recording in progress">
                <span class="badge" data-testid="header-rec"><span class="dot" aria-hidden="true"></span>${r.phase === 'paused' ? 'PAUSED' : 'REC'} ${formatClock(r.elapsedMs)}</span>
                <button class="danger" @click=${() => void r.stop()} ?disabled=${r.phase === 'stopping'}>Stop</button>
              </div>`
            : nothing}
          ${showApp
            ? html`<nav aria-label="Main">
                ${VIEWS.map(
                  (v) => html`<button aria-current=${this.view === v.name ? 'page' : 'false'} @click=${() => this.go(v.name)}>${v.label}</button>`,
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
        ${showApp ? this.renderInterrupted() : nothing}
        ${st === 'checking' ? html`<p class="muted" role="status">Loading…</p>` : nothing}
        ${!showApp && (st === 'signed-out' || st === 'refused') ? this.renderSignIn(false) : nothing}
        ${showApp && st === 'refused' ? html`<div class="prompt">${this.renderSignIn(true)}</div>` : nothing}
        ${showApp ? html`<h1>${heading}</h1>` : nothing}
        ${this.hasStarted ? this.renderViews(showApp) : nothing}
      </main>
    `;
  }

  private renderInterrupted() {
    const take = this.interrupted[0];
    if (!take) return nothing;
    const dismiss = () => (this.interrupted = this.interrupted.slice(1));
    return html`<div class="notice warn banner" role="status" data-testid="interrupted">
      <span>Your last recording was interrupted — ${formatClock(take.savedMs)} saved. It is uploading with the rest.</span>
      <span class="row">
        <button class="primary" @click=${() => {
          dismiss();
          this.go('recorder');
          void this.recorderView?.recorder.review(take.recordingId, take.savedMs);
        }}>Review it</button>
        <button class="ghost" @click=${dismiss}>Dismiss</button>
      </span>
    </div>`;
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
      <recorder-view .services=${s} .active=${is('recorder')} ?hidden=${!is('recorder')}></recorder-view>
      <library-view .services=${s} .active=${is('library')} ?hidden=${!is('library')}></library-view>
      <settings-view .services=${s} .active=${is('settings')} .userName=${this.session.userName} .usage=${usageLines(this.session.me)} ?hidden=${!is('settings')}
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
