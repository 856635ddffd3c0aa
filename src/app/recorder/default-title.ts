/**
 * A recording's title until the user names it: what was recorded and when, in the user's local
 * time — "Screen recording — 1 Dec 2026, 14:05". Set when the recording starts, so the library,
 * the share page and the review panel all show the same words.
 */
import type { Source } from './media-sources.ts';

const WHAT: Record<Source, string> = {
  camera: 'Camera recording',
  screen: 'Screen recording',
  'screen+camera': 'Screen + camera recording',
};

// The UI is English throughout; a fixed month list keeps the title identical in every browser locale.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function defaultTitle(source: Source, at: Date): string {
  const hh = String(at.getHours()).padStart(2, '0');
  const mm = String(at.getMinutes()).padStart(2, '0');
  return `${WHAT[source]} — ${at.getDate()} ${MONTHS[at.getMonth()]} ${at.getFullYear()}, ${hh}:${mm}`;
}
