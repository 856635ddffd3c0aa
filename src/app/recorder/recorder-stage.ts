/**
 * The recorder's stage: the live preview (camera, screen, or the composite being recorded), the
 * camera bubble that can be dragged (pointer) or sent to the next corner (click, Enter, Space),
 * the REC badge and the 3-2-1 countdown with its Cancel button. Renders what it is given and
 * reports moves and cancels as events; <recorder-view> owns the state.
 */
import { LitElement, css, html, nothing } from 'lit';
import { formatClock } from '../format.ts';
import { sharedStyles } from '../ui/shared-styles.ts';
import { BUBBLE_SIZE, clampPlacement, cornerPlacement, nextCorner, type BubblePlacement } from './bubble.ts';

export class RecorderStage extends LitElement {
  static override properties = {
    main: { attribute: false },
    bubble: { attribute: false },
    placement: { attribute: false },
    showHandle: { type: Boolean },
    countdown: { type: Number },
    rec: { attribute: false },
    placeholder: { type: String },
  };

  /** The main preview stream, or null for the placeholder. */
  declare main: MediaStream | null;
  /** Camera shown in the bubble (before recording; while recording the composite already has it). */
  declare bubble: MediaStream | null;
  declare placement: BubblePlacement;
  /** Show a draggable bubble outline (screen + camera). */
  declare showHandle: boolean;
  /** 3, 2, 1 during the countdown, else 0. */
  declare countdown: number;
  /** The REC / PAUSED badge, or null. */
  declare rec: { paused: boolean; elapsedMs: number } | null;
  declare placeholder: string;

  constructor() {
    super();
    this.main = this.bubble = null;
    this.placement = { x: 0.85, y: 0.75 };
    this.showHandle = false;
    this.countdown = 0;
    this.rec = null;
    this.placeholder = '';
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; }
      .stage {
        position: relative; aspect-ratio: 16 / 9; border-radius: var(--radius); overflow: hidden;
        background: #0b1120; display: grid; place-items: center; border: 1px solid var(--border); touch-action: none;
      }
      video.main { width: 100%; height: 100%; object-fit: contain; background: #000; }
      .placeholder { color: #cbd5e1; text-align: center; padding: 24px; display: grid; gap: 8px; justify-items: center; max-width: 34em; }
      /* 9/16 of the bubble's share of the frame's shorter side: the stage is 16:9, like the recording. */
      .bubble {
        position: absolute; width: calc(${BUBBLE_SIZE * 100}% * 9 / 16); aspect-ratio: 1; transform: translate(-50%, -50%);
        border-radius: 50%; padding: 0; min-height: 0; border: 3px solid #fff; background: transparent; overflow: hidden; cursor: grab;
      }
      .bubble.ghost { border-style: dashed; border-color: rgb(255 255 255 / 0.7); }
      .bubble video { width: 100%; height: 100%; object-fit: cover; display: block; }
      .rec {
        position: absolute; left: 12px; top: 12px; display: inline-flex; align-items: center; gap: 8px;
        background: rgb(15 23 42 / 0.78); color: #fff; padding: 4px 12px; border-radius: 999px;
        font-weight: 650; font-variant-numeric: tabular-nums; font-size: 0.9375rem;
      }
      .rec .dot { width: 10px; height: 10px; border-radius: 50%; background: #ef4444; }
      .rec.paused .dot { background: #fbbf24; }
      .count { position: absolute; inset: 0; display: grid; place-content: center; justify-items: center; gap: 16px; background: rgb(2 6 23 / 0.6); color: #fff; }
      .count .n { font-size: clamp(3rem, 14vw, 7rem); font-weight: 750; line-height: 1; font-variant-numeric: tabular-nums; }
      .count button { background: #fff; color: #0f172a; border-color: #fff; }
    `,
  ];

  override updated(): void {
    // Autoplay does not start a stream assigned after the element was created (srcObject is a
    // property, set by Lit after insertion), so start the previews explicitly.
    for (const v of this.renderRoot.querySelectorAll('video')) if (v.srcObject && v.paused) v.play().catch(() => {});
  }

  override render() {
    const p = this.placement;
    return html`
      <div class="stage">
        ${this.main
          ? html`<video class="main" .srcObject=${this.main} autoplay muted playsinline aria-label="Live preview"></video>`
          : html`<div class="placeholder"><p>${this.placeholder}</p><p class="small" style="opacity:.75">Every chunk is saved on this device first, then uploaded while you record.</p></div>`}
        ${this.bubble || this.showHandle
          ? html`<button class="bubble ${this.bubble ? '' : 'ghost'}" style="left:${p.x * 100}%;top:${p.y * 100}%"
              aria-label="Camera bubble: drag it, or press to move it to the next corner"
              @pointerdown=${this.drag} @click=${this.nextCorner}>
              ${this.bubble ? html`<video .srcObject=${this.bubble} autoplay muted playsinline aria-hidden="true"></video>` : nothing}
            </button>`
          : nothing}
        ${this.rec
          ? html`<div class="rec ${this.rec.paused ? 'paused' : ''}" aria-hidden="true"><span class="dot"></span>${this.rec.paused ? 'PAUSED' : 'REC'} ${formatClock(this.rec.elapsedMs)}</div>`
          : nothing}
        ${this.countdown > 0
          ? html`<div class="count" role="group" aria-label="Countdown">
              <div class="n" role="timer" aria-live="assertive" aria-label="Recording starts in ${this.countdown}">${this.countdown}</div>
              <button @click=${() => this.emit('cancel-countdown')}>Cancel <span class="small">(Esc)</span></button>
            </div>`
          : nothing}
      </div>
    `;
  }

  private moved = false;

  private drag(e: PointerEvent): void {
    const stage = this.renderRoot.querySelector('.stage')!;
    const button = e.currentTarget as HTMLElement;
    button.setPointerCapture(e.pointerId);
    this.moved = false;
    const start = { x: e.clientX, y: e.clientY };
    const move = (ev: PointerEvent) => {
      if (Math.hypot(ev.clientX - start.x, ev.clientY - start.y) > 4) this.moved = true;
      if (!this.moved) return;
      const r = stage.getBoundingClientRect();
      this.emit('bubble-move', clampPlacement(16, 9, { x: (ev.clientX - r.left) / r.width, y: (ev.clientY - r.top) / r.height }));
    };
    const up = () => {
      button.removeEventListener('pointermove', move);
      button.removeEventListener('pointerup', up);
      button.removeEventListener('pointercancel', up);
    };
    button.addEventListener('pointermove', move);
    button.addEventListener('pointerup', up);
    button.addEventListener('pointercancel', up);
  }

  private nextCorner(): void {
    // A drag ends with a click too: only a press without movement jumps corners.
    if (this.moved) return void (this.moved = false);
    this.emit('bubble-move', cornerPlacement(16, 9, nextCorner(this.placement)));
  }

  private emit(name: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

customElements.define('recorder-stage', RecorderStage);

declare global {
  interface HTMLElementTagNameMap {
    'recorder-stage': RecorderStage;
  }
}
