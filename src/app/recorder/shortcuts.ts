/**
 * Keyboard shortcuts of the recorder, shown beside the controls. Alt+Shift+letter: plain letters
 * would fire while typing a title, and Ctrl/Cmd combinations belong to the browser. `code` (the
 * physical key) is matched, not `key`: on macOS Option+Shift+R types "‰".
 */
export type ShortcutAction = 'start-stop' | 'pause-resume' | 'cancel';

export const SHORTCUTS: { action: ShortcutAction; keys: string; label: string }[] = [
  { action: 'start-stop', keys: 'Alt+Shift+R', label: 'Start / stop' },
  { action: 'pause-resume', keys: 'Alt+Shift+P', label: 'Pause / resume' },
  { action: 'cancel', keys: 'Esc', label: 'Cancel the countdown' },
];

export function shortcutFor(e: Pick<KeyboardEvent, 'code' | 'key' | 'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey'>): ShortcutAction | null {
  if (e.key === 'Escape' && !e.altKey && !e.ctrlKey && !e.metaKey) return 'cancel';
  if (!e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey) return null;
  if (e.code === 'KeyR') return 'start-stop';
  if (e.code === 'KeyP') return 'pause-resume';
  return null;
}
