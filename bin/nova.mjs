#!/usr/bin/env node
// `nova`: runs the bundled CLI (npm run build) with V8's code cache; from a fresh checkout (or with
// NOVA_FROM_SOURCE=1 when a source is newer than the bundle), runs the sources via tsx. First, for the commands it knows (`nova ls`), the
// small fast path (src/cli/fast.ts) asks a running `nova serve` of this user over its local
// socket, or lists in this process without the full CLI; anything else falls through to the full CLI.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { sourcesNewerThan } from './sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'out', 'cli', 'nova.cjs');
const argv = process.argv.slice(2);
const fastCandidate = argv.includes('ls');
const fastBundle = join(root, 'out', 'cli', 'nova-fast.cjs');

// NOVA_FROM_SOURCE (tests, development) still takes the bundle when it is current: the same code,
// started several times faster than through tsx.
if (existsSync(bundle) && (!process.env.NOVA_FROM_SOURCE || !sourcesNewerThan(join(root, 'src'), statSync(bundle).mtimeMs))) {
  if (fastCandidate && existsSync(fastBundle)) {
    const code = await createRequire(import.meta.url)(fastBundle).runFast(argv);
    if (code !== undefined) process.exit(code);
  }
  const { runCached } = await import('./run-cached.mjs');
  runCached(bundle);
} else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) {
    console.error('nova: dependencies are not installed — run `npm ci` in ' + root);
    process.exit(1);
  }
  tsx.register();
  if (fastCandidate) {
    const { runFast } = await import(pathToFileURL(join(root, 'src', 'cli', 'fast.ts')).href);
    const code = await runFast(argv);
    if (code !== undefined) process.exit(code);
  }
  await import(pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href);
}
