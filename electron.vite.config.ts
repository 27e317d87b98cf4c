import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

/**
 * The renderer's first view in one file (#24): every module the entry imports statically goes
 * into the entry's chunk instead of ~20 small shared chunks (each its own request, 6 at a time
 * over HTTP/1.1 from `nova serve`); the lazy views and recharts stay in their own chunks.
 * src/renderer/src/build.test.ts builds with it.
 */
export const rendererCodeSplitting = { groups: [{ name: 'index', tags: ['$initial' as const] }] };

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('src/main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads must be CommonJS.
      rollupOptions: { input: { index: resolve('src/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: {
      outDir: 'out/renderer',
      // Served to browsers by `nova serve` too: ship it minified.
      minify: true,
      rolldownOptions: { input: { index: resolve('src/renderer/index.html') }, output: { codeSplitting: rendererCodeSplitting } },
    },
    plugins: [react()],
  },
});
