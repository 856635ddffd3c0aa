/**
 * Upload history (under Settings): upload figures overall and per recording, computed from the outbox's chunk records
 * by analytics.ts. Only recordings still in the outbox count (deleting one removes its history).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { AppServices } from '../services.ts';
import { formatBytes, formatDateTime, formatMs, formatPercent } from '../format.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { overallStats, recordingStats, type OverallStats, type RecordingStats } from './analytics.ts';

export class AnalyticsView extends LitElement {
  static override properties = {
    services: { attribute: false },
    active: { type: Boolean },
    overall: { state: true },
    perRecording: { state: true },
  };

  /** App services; set by the shell. */
  declare services: AppServices | null;
  /** True while Settings (where the history is shown) (recomputes on activation). */
  declare active: boolean;
  declare overall: OverallStats | null;
  declare perRecording: RecordingStats[];

  constructor() {
    super();
    this.services = null;
    this.active = false;
    this.overall = null;
    this.perRecording = [];
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      header { display: flex; justify-content: space-between; align-items: center; margin-bottom: 16px; gap: 12px; }
      .tiles { display: grid; gap: 12px; grid-template-columns: repeat(2, minmax(0, 1fr)); margin-bottom: 20px; }
      @media (min-width: 720px) { .tiles { grid-template-columns: repeat(4, minmax(0, 1fr)); } }
      .tile { padding: 14px 16px; }
      .tile .v { font-size: 1.375rem; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; }
      .tile .k { font-size: 0.8125rem; color: var(--muted); }
      .table-wrap { overflow-x: auto; }
      table { width: 100%; border-collapse: collapse; font-size: 0.875rem; font-variant-numeric: tabular-nums; }
      th, td { text-align: right; padding: 10px 12px; border-bottom: 1px solid var(--border); white-space: nowrap; }
      th:first-child, td:first-child { text-align: left; white-space: normal; min-width: 10em; }
      thead th { color: var(--muted); font-weight: 600; font-size: 0.8125rem; }
      tbody th { font-weight: 550; }
      tbody th .when { display: block; font-weight: 400; color: var(--muted); font-size: 0.8125rem; }
      caption { text-align: left; font-weight: 600; padding: 0 0 10px; }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('active') || changed.has('services')) && this.active && this.services) void this.load();
  }

  async load(): Promise<void> {
    const outbox = this.services?.outbox;
    if (!outbox) return;
    const recordings = await outbox.listRecordings();
    const items = await Promise.all(recordings.map(async (recording) => ({ recording, chunks: await outbox.listChunks(recording.id) })));
    this.overall = overallStats(items);
    this.perRecording = items.map((i) => recordingStats(i.recording, i.chunks));
  }

  override render() {
    const o = this.overall;
    return html`
      <header>
        <h2>Upload history</h2>
        <button class="ghost" @click=${() => this.load()}>Refresh</button>
      </header>
      ${o
        ? html`<div class="tiles">
            ${this.tile('Chunks uploaded', `${o.uploadedChunks} / ${o.chunks}`)}
            ${this.tile('Data', formatBytes(o.bytes))}
            ${this.tile('Success rate', formatPercent(o.successRate))}
            ${this.tile('Retries', String(o.retries))}
            ${this.tile('Mean chunk upload', formatMs(o.meanUploadMs))}
            ${this.tile('p95 chunk upload', formatMs(o.p95UploadMs))}
            ${this.tile('Stop → link (mean)', formatMs(o.meanStopToLinkMs))}
            ${this.tile('Recordings', String(o.recordings))}
          </div>`
        : nothing}
      ${this.perRecording.length
        ? html`<div class="card table-wrap">
            <table>
              <caption>Per recording</caption>
              <thead>
                <tr><th scope="col">Recording</th><th scope="col">Chunks</th><th scope="col">Data</th><th scope="col">Success</th><th scope="col">Retries</th><th scope="col">Mean</th><th scope="col">p95</th><th scope="col">Stop → link</th></tr>
              </thead>
              <tbody>
                ${this.perRecording.map(
                  (r) => html`<tr>
                    <th scope="row">${r.title ?? 'Untitled'}<span class="when">${formatDateTime(r.createdAt)}</span></th>
                    <td>${r.uploadedChunks} / ${r.chunks}</td>
                    <td>${formatBytes(r.bytes)}</td>
                    <td>${formatPercent(r.successRate)}</td>
                    <td>${r.retries}</td>
                    <td>${formatMs(r.meanUploadMs)}</td>
                    <td>${formatMs(r.p95UploadMs)}</td>
                    <td>${formatMs(r.stopToLinkMs)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<div class="card"><p class="muted">No recordings on this device yet. Figures appear after your first recording.</p></div>`}
    `;
  }

  private tile(k: string, v: string) {
    return html`<div class="card tile"><div class="v">${v}</div><div class="k">${k}</div></div>`;
  }
}

customElements.define('analytics-view', AnalyticsView);

declare global {
  interface HTMLElementTagNameMap {
    'analytics-view': AnalyticsView;
  }
}
