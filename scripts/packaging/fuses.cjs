// Electron fuses for packaged builds: no ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no --inspect,
// encrypted cookies, the app only from its (integrity-checked) asar.
const { FuseV1Options, FuseVersion } = require('@electron/fuses');

const NOVA_FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Enforced by Electron on macOS/Windows today; set here so Linux builds follow when it lands.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // The renderer comes from nova://app (src/main/protocol.ts), never file://.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

module.exports = { NOVA_FUSES };
