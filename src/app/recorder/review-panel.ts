/**
 * The review panel shown after Stop, at the top of the Record view: the share link first (copied
 * to the clipboard automatically), then the take playing from this device (no server needed), and
 * its title, saved to the server. `focusLink()` moves focus to the link so the next Tab and a
 * screen reader land on what the user came for.
 */
import { LitElement, css, html, nothing } from 'lit';
import { formatClock } from '../format.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import type { Take } from './recorder-controller.ts';

export class ReviewPanel extends LitElement {
  static override properties = {
    take: { attribute: false },
    draft: { state: true },
  };

  /** The take under review. */
  declare take: Take | null;
  declare draft: string | null;

  constructor() {
    super();
    this.take = null;
    this.draft = null;
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      .card { display: grid; gap: 14px; }
      .head { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
      .link { display: flex; gap: 8px; flex-wrap: wrap; }
      .link input { flex: 1 1 200px; font-family: var(--mono); font-size: 0.875rem; }
      .body { display: grid; gap: 14px; }
      @media (min-width: 900px) { .body { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); align-items: start; } }
      video { width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 10px; }
      form { display: grid; gap: 8px; }
      .title-row { display: flex; gap: 8px; }
      .msg { font-size: 0.875rem; }
      .msg.err { color: var(--danger); font-weight: 550; }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('take') && (changed.get('take') as Take | null)?.recordingId !== this.take?.recordingId) this.draft = null;
  }

  /** Focus the link (or, before the link exists, the panel's heading). */
  async focusLink(): Promise<void> {
    await this.updateComplete;
    const target = this.renderRoot.querySelector<HTMLElement>('#link') ?? this.renderRoot.querySelector<HTMLElement>('h2');
    target?.focus();
    if (target instanceof HTMLInputElement) target.select();
  }

  override render() {
    const t = this.take;
    if (!t) return nothing;
    const s = t.sync;
    const title = this.draft ?? t.title;
    return html`
      <section class="card" aria-labelledby="review-h">
        <div class="head">
          <h2 id="review-h" tabindex="-1">Recording saved · ${formatClock(t.elapsedMs)}</h2>
          <button class="ghost" @click=${() => this.emit('close-review')}>Close</button>
        </div>
        ${s.shareUrl
          ? html`<div class="link">
                <label class="visually-hidden" for="link">Link to this recording</label>
                <input id="link" type="url" readonly .value=${s.shareUrl} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button class="primary" @click=${() => void s.copyLink()}>Copy link</button>
              </div>
              <p class="msg" role="status">${s.copy === 'copied' ? 'Link copied to the clipboard.' : s.copy === 'failed' ? 'The browser did not allow copying; press Copy link.' : ''}</p>`
          : html`<p class="msg muted" role="status">The link appears here once the server knows this recording; until then it is safe on this device and uploads on its own.</p>`}
        <div class="body">
          ${t.localUrl
            ? html`<video controls playsinline preload="metadata" src=${t.localUrl} aria-label="Play the recording from this device"></video>`
            : html`<p class="muted small">This recording is no longer stored on this device.</p>`}
          <form @submit=${this.save}>
            <label for="title">Title</label>
            <div class="title-row">
              <input id="title" type="text" maxlength="200" .value=${title} @input=${(e: Event) => (this.draft = (e.target as HTMLInputElement).value)} />
              <button type="submit" ?disabled=${s.title.kind === 'saving'}>Save title</button>
            </div>
            <p class="msg ${s.title.kind === 'error' ? 'err' : 'muted'}" role=${s.title.kind === 'error' ? 'alert' : 'status'}>${this.saveText()}</p>
          </form>
        </div>
      </section>
    `;
  }

  private saveText(): string {
    const k = this.take!.sync.title;
    switch (k.kind) {
      case 'pending':
        return 'Saved here; it goes to the server as soon as the server knows this recording.';
      case 'saving':
        return 'Saving…';
      case 'saved':
        return 'Title saved.';
      case 'error':
        return k.message;
      default:
        return '';
    }
  }

  private save(e: Event): void {
    e.preventDefault();
    const t = this.take;
    if (!t) return;
    const title = (this.draft ?? t.title).trim();
    if (title === '') return;
    t.title = title;
    void t.sync.saveTitle(title);
  }

  private emit(name: string): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }
}

customElements.define('review-panel', ReviewPanel);

declare global {
  interface HTMLElementTagNameMap {
    'review-panel': ReviewPanel;
  }
}
