// Bundles the CLI/server (plain Node, no Electron) into out/cli/nova.mjs, which bin/nova.mjs runs.
import { join } from 'node:path';
import { bundleCli } from './packaging/bundle-cli.mjs';

const root = join(import.meta.dirname, '..');
console.log(`built ${await bundleCli(root, join(root, 'out', 'cli', 'nova.mjs'))}`);
