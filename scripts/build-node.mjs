// Bundles the CLI/server (plain Node, no Electron) into out/cli/nova.cjs, which bin/nova.mjs runs.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleCli } from './packaging/bundle-cli.mjs';

const root = join(import.meta.dirname, '..');
const outfile = join(root, 'out', 'cli', 'nova.cjs');
// A new bundle invalidates the compiled-code caches of the old one.
await rm(join(root, 'out', 'cli'), { recursive: true, force: true });
console.log(`built ${await bundleCli(root, outfile, 'cjs')}`);
