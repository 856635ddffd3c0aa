/**
 * The tab title: "● REC 0:12 — Outbox Recorder" while recording (visible from any other tab),
 * "❚❚ PAUSED 0:12 …" while paused, "Starting in 3… …" during the countdown, else the view's name.
 */
import { formatClock } from './format.ts';

export interface RecorderGlance {
  phase: 'idle' | 'starting' | 'countdown' | 'recording' | 'paused' | 'stopping';
  elapsedMs: number;
  countdown: number;
}

const APP = 'Outbox Recorder';

export function recordingTitle(r: RecorderGlance | null, viewLabel: string): string {
  switch (r?.phase) {
    case 'recording':
    case 'stopping':
      return `● REC ${formatClock(r.elapsedMs)} — ${APP}`;
    case 'paused':
      return `❚❚ PAUSED ${formatClock(r.elapsedMs)} — ${APP}`;
    case 'countdown':
      return `Starting in ${r.countdown}… — ${APP}`;
    default:
      return `${viewLabel} — ${APP}`;
  }
}
