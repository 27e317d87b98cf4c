// electron-builder afterPack hook: flip the Electron fuses in the packed binary, then read them
// back so a build can never ship with a fuse left open.
const path = require('node:path');
const { flipFuses, getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
const { NOVA_FUSES } = require('./fuses.cjs');
const { checkNativeHelpers } = require('./native-check.cjs');

const ENABLE = 49; // '1'
const DISABLE = 48; // '0'

async function afterPack(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const exe =
    electronPlatformName === 'darwin'
      ? path.join(appOutDir, `${packager.appInfo.productFilename}.app`)
      : path.join(appOutDir, electronPlatformName === 'win32' ? `${packager.executableName}.exe` : packager.executableName);
  await flipFuses(exe, NOVA_FUSES);
  const wire = await getCurrentFuseWire(exe);
  for (const [key, want] of Object.entries(NOVA_FUSES)) {
    if (key === 'version') continue;
    const got = wire[key];
    if (got !== (want ? ENABLE : DISABLE)) {
      throw new Error(`fuse ${FuseV1Options[key]} is ${String.fromCharCode(got)} in ${exe}, expected ${want ? 1 : 0}`);
    }
  }
  const resources = electronPlatformName === 'darwin' ? path.join(exe, 'Contents', 'Resources') : path.join(appOutDir, 'resources');
  console.log(`  • native helpers shipped: ${checkNativeHelpers(resources)}`);
  console.log(`  • fuses set on ${path.basename(exe)}: RunAsNode off, NODE_OPTIONS off, cookie encryption on, ASAR integrity on, app only from asar, no extra file:// privileges`);
}

module.exports = afterPack;
module.exports.default = afterPack;
