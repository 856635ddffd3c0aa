/**
 * Views as URLs: `#/record`, `#/library`, `#/settings`. Hash routes need nothing from the server
 * (the service worker serves one shell for every path) and keep the app's scope at "/", so reload
 * and Back land on the same view. The sign-in link's `#token=…` is not a route: the shell takes
 * it, signs in, and replaces it.
 */
export type ViewName = 'recorder' | 'library' | 'settings';

export const VIEWS: { name: ViewName; label: string; path: string; heading: string }[] = [
  { name: 'recorder', label: 'Record', path: '#/record', heading: 'Record a video' },
  { name: 'library', label: 'Library', path: '#/library', heading: 'Your recordings' },
  { name: 'settings', label: 'Settings', path: '#/settings', heading: 'Settings and upload history' },
];

/** Old links to the Analytics view now open Settings, where it lives as "Upload history". */
const ALIASES: Record<string, ViewName> = { '#/analytics': 'settings', '#/upload-history': 'settings' };

export function viewFromHash(hash: string): ViewName {
  const path = hash.split('?')[0]!.replace(/\/+$/, '');
  return VIEWS.find((v) => v.path === path)?.name ?? ALIASES[path] ?? 'recorder';
}

export function hashFor(view: ViewName): string {
  return VIEWS.find((v) => v.name === view)!.path;
}

export function hasToken(hash: string): boolean {
  return /(^#|&)token=/.test(hash);
}
