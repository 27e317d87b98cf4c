#!/usr/bin/env node
// `nova`: runs the bundled CLI (npm run build) with V8's code cache; from a fresh checkout (or with
// NOVA_FROM_SOURCE=1), runs the sources via tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'out', 'cli', 'nova.cjs');
if (existsSync(bundle) && !process.env.NOVA_FROM_SOURCE) {
  const { runCached } = await import('./run-cached.mjs');
  runCached(bundle);
} else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) {
    console.error('nova: dependencies are not installed — run `npm ci` in ' + root);
    process.exit(1);
  }
  tsx.register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href);
}
