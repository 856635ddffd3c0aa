import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA, type ManifestOptions } from 'vite-plugin-pwa';
import { compiledChecksPlugin } from './src/shared/checks/compile.ts';

// The top-level manifest.webmanifest is the single source; vite-plugin-pwa emits it and links it.
const manifest = JSON.parse(readFileSync(new URL('./manifest.webmanifest', import.meta.url), 'utf8')) as Partial<ManifestOptions>;

/**
 * Writes `.br` and `.gz` copies beside every text asset of dist/, served by @fastify/static's
 * `preCompressed` (src/server/routes/static-app.ts): compressed once at the highest levels, never
 * per request. Hand-rolled rather than vite-plugin-compression2, which compresses the bundle and
 * public/ but not the service worker that vite-plugin-pwa writes after the bundle (and compressing
 * inside the worker's own build would run before its precache manifest is injected). This hook
 * runs last (`order: 'post'`, sequential), after vite-plugin-pwa's sequential closeBundle.
 */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'outbox:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
          if (!entry.isFile() || !/\.(js|css|html|svg|webmanifest)$/.test(entry.name)) continue;
          const path = join(entry.parentPath, entry.name);
          const raw = readFileSync(path);
          const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
          const gz = gzipSync(raw, { level: 9 });
          if (br.length < raw.length) writeFileSync(`${path}.br`, br);
          if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
        }
      },
    },
  };
}

export default defineConfig({
  // Every browser the app supports (Chromium, Firefox ≥ 115, Safari ≥ 17) has modulepreload: no polyfill in the entry.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, modulePreload: { polyfill: false } },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/s/': 'http://127.0.0.1:8080' } },
  plugins: [
    // The page's and the worker's checks of untrusted data, compiled from the zod contract (no zod in the worker).
    compiledChecksPlugin(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico,webmanifest}'],
        // A classic-script worker (one IIFE bundle): registers everywhere, including browsers
        // without module service workers (Firefox before 147); src/app/upload registers it classic.
        rollupFormat: 'iife',
        buildPlugins: { vite: [compiledChecksPlugin()] },
      },
      devOptions: { enabled: false },
    }),
    precompress(),
  ],
});
