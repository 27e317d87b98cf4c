// electron-builder beforePack hook: the `nova` CLI for resources/cli, each bundle with all its npm
// dependencies, so the system's Node.js can run it outside the asar: nova.mjs (the entry,
// cli-entry.mjs) tries nova-fast.cjs (src/cli/fast.ts, a few dozen KB) and else runs nova-full.cjs
// with V8's code cache (run-cached.mjs).
const path = require('node:path');
const { copyFile } = require('node:fs/promises');

async function beforePack(context) {
  const root = context?.packager?.projectDir ?? path.join(__dirname, '..', '..');
  const { bundleCli, bundleSideEntries } = await import('./bundle-cli.mjs');
  const dir = path.join(root, 'out', 'cli-standalone');
  await bundleCli(root, path.join(dir, 'nova-full.cjs'), 'cjs');
  // The fast path and NovaFile's worker, as in a checkout (the app's main process, inside
  // app.asar, finds the worker in resources/cli too).
  await bundleSideEntries(root, dir);
  await copyFile(path.join(__dirname, 'cli-entry.mjs'), path.join(dir, 'nova.mjs'));
  await copyFile(path.join(root, 'bin', 'run-cached.mjs'), path.join(dir, 'run-cached.mjs'));
  console.log(`  • bundled the nova CLI: ${path.relative(root, dir)}/{nova.mjs,run-cached.mjs,nova-fast.cjs,nova-full.cjs,novafile-worker.cjs}`);
}

module.exports = beforePack;
module.exports.default = beforePack;
