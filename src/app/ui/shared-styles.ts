/**
 * Styles every component adopts: buttons, fields, cards, badges, focus ring. Colours and fonts
 * come from the custom properties in index.html (they inherit through shadow roots), so light
 * and dark are one set of rules.
 */
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    font-family: var(--font, system-ui, sans-serif);
    color: var(--text, #0f172a);
    box-sizing: border-box;
  }
  *, *::before, *::after { box-sizing: inherit; }
  [hidden] { display: none !important; }
  h1, h2, h3 { margin: 0; line-height: 1.25; }
  h2 { font-size: 1.25rem; font-weight: 650; letter-spacing: -0.01em; }
  h3 { font-size: 1rem; font-weight: 600; }
  p { margin: 0; }
  .muted { color: var(--muted); }
  .small { font-size: 0.875rem; }
  .card {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius, 12px);
    box-shadow: var(--shadow);
    padding: 20px;
  }
  .stack { display: flex; flex-direction: column; gap: 12px; }
  .row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
  button, .button {
    font: inherit;
    font-size: 0.9375rem;
    font-weight: 550;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 8px;
    min-height: 40px;
    padding: 8px 16px;
    border-radius: 10px;
    border: 1px solid var(--border);
    background: var(--surface-2);
    color: var(--text);
    cursor: pointer;
    text-decoration: none;
    white-space: nowrap;
  }
  button:hover:not(:disabled), .button:hover { filter: brightness(0.97); }
  button:disabled { opacity: 0.55; cursor: not-allowed; }
  button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
  /* A fixed red in both schemes: white text on the dark scheme's lighter red would be unreadable. */
  button.danger { background: #dc2626; border-color: #dc2626; color: #fff; }
  button.ghost { background: transparent; }
  button.link { background: none; border: none; padding: 0 4px; min-height: 0; color: var(--accent); text-decoration: underline; }
  :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  input[type='text'], input[type='number'], input[type='url'], input[type='password'], select {
    font: inherit;
    min-height: 40px;
    padding: 8px 12px;
    border-radius: 10px;
    border: 1px solid var(--border);
    background: var(--bg);
    color: var(--text);
    width: 100%;
  }
  label { font-weight: 550; font-size: 0.9375rem; }
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    font-size: 0.8125rem;
    font-weight: 600;
    padding: 2px 10px;
    border-radius: 999px;
    background: var(--surface-2);
    color: var(--muted);
    white-space: nowrap;
  }
  .badge.ok { background: var(--ok-soft); color: var(--ok); }
  .badge.warn { background: var(--warn-soft); color: var(--warn); }
  .badge.danger { background: var(--danger-soft); color: var(--danger); }
  .badge.active { background: color-mix(in srgb, var(--accent) 14%, transparent); color: var(--accent); }
  .notice { padding: 12px 14px; border-radius: 10px; background: var(--surface-2); font-size: 0.9375rem; }
  .notice.danger { background: var(--danger-soft); color: var(--danger); }
  .notice.warn { background: var(--warn-soft); color: var(--warn); }
  .notice.ok { background: var(--ok-soft); color: var(--ok); }
  .visually-hidden {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
`;
