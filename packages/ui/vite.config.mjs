// Builds the web UI (web/) into static/, which argocd-server and argo-server serve at `/`.
// Relative asset URLs (`base: './'`) so a server's --basehref / <base href> decides where they load from.
import { defineConfig } from 'vite';

export default defineConfig({
  root: new URL('./web', import.meta.url).pathname,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: new URL('./static', import.meta.url).pathname,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
    sourcemap: false,
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
