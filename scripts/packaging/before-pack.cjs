// electron-builder beforePack hook: bundle the `nova` CLI with all its npm dependencies into one
// file (resources/cli/nova.mjs) so the system's Node.js can run it outside the asar.
const path = require('node:path');

async function beforePack(context) {
  const root = context?.packager?.projectDir ?? path.join(__dirname, '..', '..');
  const { bundleCli } = await import('./bundle-cli.mjs');
  const out = await bundleCli(root);
  console.log(`  • bundled the nova CLI: ${path.relative(root, out)}`);
}

module.exports = beforePack;
module.exports.default = beforePack;
