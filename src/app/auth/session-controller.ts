/**
 * Sign-in state. The token arrives in the server's start-up link (`#token=…`); it is stored in
 * the outbox (the worker reads it there), removed from the address bar, and verified with
 * GET /me. A refused token (401 there, or `auth/required` from the uploader) shows the sign-in
 * prompt; uploads are held, not dropped, and a new token resumes them.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AppServices } from '../services.ts';
import { OfflineError, isUnauthorized } from '../api-client.ts';
import { parseTokenInput, takeTokenFromHash } from './token.ts';

export type SessionStatus =
  | 'checking'
  /** Token verified by the server. */
  | 'signed-in'
  /** Token present but the server could not be reached: the app works offline with it. */
  | 'unverified'
  | 'signed-out'
  /** The server refused the token (at start-up or during uploads). */
  | 'refused';

export class SessionController implements ReactiveController {
  status: SessionStatus = 'checking';
  userName: string | null = null;
  /** The last GET /me answer as received (it may carry usage and limits). */
  me: unknown = null;
  /** Error shown on the sign-in form. */
  formError: string | null = null;
  busy = false;
  private services: AppServices | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Start-up: take a token from the URL, then verify whatever token is stored. */
  async init(services: AppServices, location: Location = window.location): Promise<void> {
    this.services = services;
    if (await this.takeTokenFromUrl(location)) return;
    await this.verify();
  }

  /**
   * A sign-in link opened in a tab that already runs the app only changes the fragment: the shell
   * calls this on `hashchange`. The token is stored, removed from the address bar (and from
   * history: replaceState, not a new entry), and verified. Returns false when the URL had none.
   */
  async takeTokenFromUrl(location: Location = window.location): Promise<boolean> {
    const s = this.services;
    const { token, rest } = takeTokenFromHash(location.hash);
    if (!token || !s) return false;
    // The token must not stay in the address bar, history or a bookmark.
    history.replaceState(history.state, '', location.pathname + location.search + rest);
    await s.outbox.setToken(token);
    s.upload.tokenChanged();
    this.formError = null;
    await this.verify();
    return true;
  }

  async verify(): Promise<void> {
    const s = this.services;
    if (!s) return;
    const token = await s.outbox.getToken();
    if (!token) return this.set('signed-out');
    try {
      const me = await s.api.me(token);
      this.userName = me.name;
      this.me = me;
      this.set('signed-in');
    } catch (e) {
      if (isUnauthorized(e)) this.set('refused');
      else if (e instanceof OfflineError) this.set('unverified');
      else this.set('unverified');
    }
  }

  /** The uploader got a 401: hold uploads and ask for a new token. */
  authRequired(): void {
    if (this.status !== 'checking') this.set('refused');
  }

  async signIn(input: string): Promise<boolean> {
    const s = this.services;
    if (!s) return false;
    const token = parseTokenInput(input);
    if (!token) {
      this.formError = 'Paste the sign-in link the server printed (…/#token=…) or the token itself.';
      this.host.requestUpdate();
      return false;
    }
    this.busy = true;
    this.formError = null;
    this.host.requestUpdate();
    try {
      const me = await s.api.me(token);
      this.userName = me.name;
      await s.outbox.setToken(token);
      s.upload.tokenChanged();
      this.set('signed-in');
      return true;
    } catch (e) {
      if (isUnauthorized(e)) {
        this.formError = 'The server refused this token. It may have been revoked; ask for a new link.';
      } else if (e instanceof OfflineError) {
        // Offline: keep the token so recording and queued uploads can go on; it is checked later.
        await s.outbox.setToken(token);
        s.upload.tokenChanged();
        this.set('unverified');
        return true;
      } else {
        this.formError = 'The server could not check this token right now. Try again in a moment.';
      }
      return false;
    } finally {
      this.busy = false;
      this.host.requestUpdate();
    }
  }

  async signOut(): Promise<void> {
    await this.services?.outbox.setToken(null);
    this.services?.upload.tokenChanged();
    this.userName = null;
    this.set('signed-out');
  }

  get signedIn(): boolean {
    return this.status === 'signed-in' || this.status === 'unverified';
  }

  private set(status: SessionStatus): void {
    this.status = status;
    this.host.requestUpdate();
  }
}
