// Vite config of the dashboard: `npm run build` writes dashboard/dist/, which the server serves at `/`.
// `npx vite dashboard` serves the sources with hot reload and forwards the API to a running server
// (COLONIES_SERVER_URL, default http://127.0.0.1:50080).
import process from 'node:process';
import { defineConfig } from 'vite';

const api = process.env.COLONIES_SERVER_URL ?? 'http://127.0.0.1:50080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small bundle: no code splitting needed for a handful of pages.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': { target: api, ws: true }, '/health': api },
  },
});
