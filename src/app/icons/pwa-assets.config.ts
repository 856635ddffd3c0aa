/**
 * Icon generation for the installable app (run by hand after changing public/logo.svg):
 *   npx pwa-assets-generator -r . -c src/app/icons/pwa-assets.config.ts
 * The maskable and Apple icons get the logo's own dark background, not the preset's white,
 * so the safe-zone padding blends in (maskable spec: content within the central 80 % circle).
 */
import { defineConfig, minimal2023Preset } from '@vite-pwa/assets-generator/config';

const background = '#111827';

export default defineConfig({
  headLinkOptions: { preset: '2023' },
  preset: {
    ...minimal2023Preset,
    maskable: { ...minimal2023Preset.maskable, padding: 0.3, resizeOptions: { background } },
    apple: { ...minimal2023Preset.apple, padding: 0.3, resizeOptions: { background } },
  },
  images: ['public/logo.svg'],
});
