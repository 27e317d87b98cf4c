#!/usr/bin/env node
// `nova`: runs the bundled CLI (npm run build); from a fresh checkout, runs the sources via tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'out', 'cli', 'nova.mjs');
if (existsSync(bundle) && !process.env.NOVA_FROM_SOURCE) {
  await import(pathToFileURL(bundle).href);
} else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) {
    console.error('nova: dependencies are not installed — run `npm ci` in ' + root);
    process.exit(1);
  }
  tsx.register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href);
}
