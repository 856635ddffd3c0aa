/**
 * Inline rename form of a library item. Renders and validates the length as the user types;
 * the server has the last word (control and bidi-override characters are refused there).
 * Emits `rename-save` ({title}) and `rename-cancel`.
 */
import { LitElement, css, html, nothing } from 'lit';
import { sharedStyles } from '../ui/shared-styles.ts';

export const MAX_TITLE = 200;

export class RenameForm extends LitElement {
  static override properties = {
    value: {},
    busy: { type: Boolean },
    error: {},
  };

  /** The title being edited. */
  declare value: string;
  /** True while the save request runs. */
  declare busy: boolean;
  /** The server's refusal, in words, or null. */
  declare error: string | null;

  constructor() {
    super();
    this.value = '';
    this.busy = false;
    this.error = null;
  }

  static override styles = [
    sharedStyles,
    css`
      form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
      input { flex: 1 1 220px; min-width: 0; min-height: 36px; padding: 6px 10px; font: inherit; border-radius: 8px;
        border: 1px solid var(--border); background: var(--surface); color: var(--text); }
      button { min-height: 36px; padding: 6px 12px; font-size: 0.875rem; }
      .error { flex-basis: 100%; margin: 0; }
    `,
  ];

  override firstUpdated(): void {
    this.renderRoot.querySelector('input')?.select();
  }

  private get trimmed(): string {
    return this.value.trim();
  }

  override render() {
    const invalid = this.trimmed.length === 0 || [...this.trimmed].length > MAX_TITLE;
    return html`
      <form @submit=${this.submit}>
        <input aria-label="New title" maxlength=${MAX_TITLE} .value=${this.value} ?disabled=${this.busy}
          @input=${(e: Event) => (this.value = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.cancel()} />
        <button type="submit" ?disabled=${this.busy || invalid}>Save</button>
        <button type="button" class="ghost" @click=${this.cancel} ?disabled=${this.busy}>Cancel</button>
        ${this.error ? html`<p class="notice danger error" role="alert">${this.error}</p>` : nothing}
      </form>
    `;
  }

  private submit(e: Event): void {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent('rename-save', { detail: { title: this.trimmed }, bubbles: true, composed: true }));
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent('rename-cancel', { bubbles: true, composed: true }));
  }
}

customElements.define('rename-form', RenameForm);

declare global {
  interface HTMLElementTagNameMap {
    'rename-form': RenameForm;
  }
}
