// Bundles the CLI/server (plain Node, no Electron) into out/cli/nova.cjs, which bin/nova.mjs runs.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleCli, bundleSideEntries } from './packaging/bundle-cli.mjs';

const root = join(import.meta.dirname, '..');
const outfile = join(root, 'out', 'cli', 'nova.cjs');
// A new bundle invalidates the compiled-code caches of the old one.
await rm(join(root, 'out', 'cli'), { recursive: true, force: true });
await bundleCli(root, outfile, 'cjs');
// The `nova ls` fast path and the NovaFile worker, as the packages ship them too.
await bundleSideEntries(root, join(root, 'out', 'cli'));
// bin/run-cached.mjs runs the bundle as a vm.Script, where Node 20 cannot resolve a dynamic
// import(): the CLI's code must import statically.
const dynamic = /(?:await\s+|[=(,]\s*)import\(\s*["'`]/.exec(await readFile(outfile, 'utf8'));
if (dynamic) {
  console.error(`build-node: the CLI bundle contains a dynamic import (${dynamic[0]}…); use a static import`);
  process.exit(1);
}
// bin/run-cached.mjs reads an ASCII bundle at half the cost (esbuild escapes non-ASCII text in
// strings, not in regular expressions).
const nonAscii = /[^\x00-\x7f]/.exec(await readFile(outfile, 'utf8'));
if (nonAscii) {
  console.error(`build-node: the CLI bundle contains a non-ASCII character (${JSON.stringify(nonAscii[0])}); write it as an escape`);
  process.exit(1);
}
// nova(1) from the CLI itself, for the packages (`nova man` prints the same).
await mkdir(join(root, 'out', 'man'), { recursive: true });
await writeFile(join(root, 'out', 'man', 'nova.1'), execFileSync(process.execPath, [outfile, 'man'], { env: { ...process.env, NOVA_HOME: join(root, 'out', 'man', '.home') } }));
await rm(join(root, 'out', 'man', '.home'), { recursive: true, force: true });
console.log(`built ${outfile} and out/man/nova.1`);
