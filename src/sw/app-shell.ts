/**
 * The offline app shell: precache the build (workbox-precaching; vite-plugin-pwa injects the
 * manifest of hashed assets) and answer every navigation with the precached index.html, so the
 * app starts with the server down. API calls and share pages are never intercepted: /api/ must
 * reach the server (or fail, which the pipeline treats as offline), and /s/ is a server-rendered
 * page that must not be replaced by the recorder.
 */
/// <reference lib="webworker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

export const NAVIGATION_DENYLIST = [/^\/api\//, /^\/s\//];

export function installAppShell(manifest: Array<PrecacheEntry | string>): void {
  precacheAndRoute(manifest);
  cleanupOutdatedCaches();
  registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: NAVIGATION_DENYLIST }));
}
