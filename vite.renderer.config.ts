import path from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = path.resolve(import.meta.dirname, 'renderer');

/**
 * The renderer bundle. Output goes where Electron Forge's Vite plugin and the browser host look for
 * it (.vite/renderer/main_window); base './' so it loads from a file or custom protocol as well as
 * over http. Everything it uses is bundled: no CDN, no remote fonts.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  publicDir: false,
  build: {
    outDir: path.resolve(import.meta.dirname, '.vite/renderer/main_window'),
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: false,
    // Fonts are woff2 files with their own URL, never inlined into the CSS.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 900,
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [path.resolve(import.meta.dirname)] },
  },
});
