// electron-builder afterPack check: the packed app's resources/native holds every native helper
// Nova runs, executable, and the QUIC overlay tunnel answers --version (a package without it would
// install fine and then refuse every `driver = "quic"` overlay with HOST_UNSUPPORTED).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const HELPERS = ['nova-capsule-supervisor', 'nova-lock-helper', 'nova-peercred', 'nova-userns-exec', 'nova-pty', 'nova-quic-tunnel'];
const QUIC_FIX = 'install cargo, rustc and librust-quinn-dev (scripts/install-host-deps.sh), then `npm run build` before packaging';

/** Throws naming the missing or broken helper and the fix; returns the tunnel's version line. */
function checkNativeHelpers(resourcesDir) {
  const dir = path.join(resourcesDir, 'native');
  for (const name of HELPERS) {
    const file = path.join(dir, name);
    let st;
    try {
      st = fs.statSync(file);
    } catch {
      const fix = name === 'nova-quic-tunnel' ? QUIC_FIX : 'run `npm run build` before packaging';
      throw new Error(`package check: ${path.join('resources', 'native', name)} is missing: ${fix}`);
    }
    if (!st.isFile() || (st.mode & 0o111) === 0) throw new Error(`package check: ${file} is not an executable file: rebuild it (npm run build:native)`);
  }
  const tunnel = path.join(dir, 'nova-quic-tunnel');
  let out = '';
  try {
    out = execFileSync(tunnel, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (e) {
    throw new Error(`package check: ${tunnel} --version failed (${e.message.split('\n')[0]}): ${QUIC_FIX}`);
  }
  if (!/^nova-quic-tunnel \d+\.\d+\.\d+$/.test(out)) throw new Error(`package check: ${tunnel} --version printed ${JSON.stringify(out)}, not "nova-quic-tunnel X.Y.Z"`);
  return out;
}

module.exports = { checkNativeHelpers, HELPERS };
