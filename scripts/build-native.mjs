// Builds the native helpers (native/*.c) into out/native: the capsule supervisor, the lock helper,
// the peer-credentials reader of `nova privd`, the pty of in-app terminals and the `nova` launcher
// (native/launcher*.c, with json-c linked in statically where libjson-c.a exists: libjson-c-dev to
// build; else dynamically, needing libjson-c5/json-c to run); and, when Debian's
// cargo is installed, the QUIC overlay tunnel (native/quic-tunnel, Rust, offline from Debian's
// librust-*-dev crates: see its .cargo/config.toml).
// Skips when the binary is newer than its source, so test runs can call it cheaply.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const targets = [
  {
    src: 'native/capsule-supervisor.c',
    more: ['native/capsule-supervisor-ns.c', 'native/capsule-supervisor-run.c', 'native/capsule-supervisor-log.c'],
    out: 'out/native/nova-capsule-supervisor',
    deps: ['native/capsule-supervisor.h', 'native/userns.h', 'native/capsule-net.h'],
  },
  { src: 'native/lock-helper.c', out: 'out/native/nova-lock-helper' },
  { src: 'native/peercred.c', out: 'out/native/nova-peercred' },
  { src: 'native/userns-exec.c', out: 'out/native/nova-userns-exec', deps: ['native/userns.h'] },
  { src: 'native/pty-helper.c', out: 'out/native/nova-pty' },
  // The `nova` a user runs: the hot lifecycle verbs over a running engine's local socket, Node otherwise.
  { src: 'native/launcher.c', more: ['native/launcher-paths.c', 'native/launcher-rpc.c', 'native/launcher-output.c'], out: 'out/native/nova', deps: ['native/launcher.h'], pkg: 'json-c' },
];

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
};

// A library's compiler and linker flags from pkg-config; without pkg-config, Debian's/Arch's usual ones.
const PKG_FALLBACK = { 'json-c': { cflags: ['-I/usr/include/json-c'], libs: ['-ljson-c'] } };
function pkgFlags(pkg) {
  if (!pkg) return { cflags: [], libs: [] };
  try {
    const flags = (what) => execFileSync('pkg-config', [what, pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).filter(Boolean);
    return { cflags: flags('--cflags'), libs: flags('--libs') };
  } catch {
    return PKG_FALLBACK[pkg];
  }
}

export function buildNative({ quiet = false, quic = true } = {}) {
  mkdirSync(join(root, 'out', 'native'), { recursive: true });
  for (const t of targets) {
    const srcs = [t.src, ...(t.more ?? [])].map((s) => join(root, s));
    const out = join(root, t.out);
    if (mtime(out) > Math.max(...srcs.map(mtime), ...(t.deps ?? []).map((d) => mtime(join(root, d))))) continue;
    const cc = process.env.CC || 'cc';
    const { cflags, libs } = pkgFlags(t.pkg);
    const link = (l, quiet) => execFileSync(cc, ['-O2', '-Wall', '-Wextra', ...cflags, '-o', out, ...srcs, ...l], { stdio: quiet ? 'pipe' : 'inherit' });
    try {
      // The library inside the binary: an AppImage or deb then runs on hosts without it. Arch
      // ships no static json-c: there it links to the shared one (the pacman package depends on it).
      try {
        if (!libs.length) throw new Error('no library');
        link(['-Wl,-Bstatic', ...libs, '-Wl,-Bdynamic'], true);
      } catch {
        link(libs, false);
      }
    } catch (e) {
      const dev = t.pkg === 'json-c' ? ' libjson-c-dev' : '';
      const why = e.code === 'ENOENT' ? `${cc} is not installed (Debian: apt-get install gcc libc6-dev${dev})` : `${cc} failed${dev ? ` (is${dev} installed?)` : ''}`;
      throw new Error(`build-native: cannot build ${t.out}: ${why}`);
    }
    if (!quiet) console.log(`built ${t.out}`);
  }
  if (quic) buildQuicTunnel({ quiet });
}

// Debian's cargo and rustc (/usr/bin), not a rustup toolchain earlier on PATH: only they resolve
// the crates from /usr/share/cargo/registry the same way. Without them the tunnel is not built
// and the quic overlay driver reports it (HOST_UNSUPPORTED with the packages to install).
const CARGO = process.env.NOVA_CARGO || '/usr/bin/cargo';
const RUSTC = process.env.NOVA_RUSTC || '/usr/bin/rustc';
const QUIC = 'native/quic-tunnel';
export const QUIC_PACKAGES = 'cargo rustc librust-quinn-dev librust-rustls-pemfile-dev librust-serde-json-dev librust-serde-derive-dev librust-libc-dev librust-tokio-dev librust-bytes-dev librust-ring-dev';

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'target') continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : mtime(p));
  }
  return newest;
}

export function buildQuicTunnel({ quiet = false } = {}) {
  const out = join(root, 'out', 'native', 'nova-quic-tunnel');
  const dir = join(root, QUIC);
  if (mtime(out) > newestSource(dir)) return;
  if (!existsSync(CARGO) || !existsSync(RUSTC)) {
    if (!quiet) console.log(`skipped ${QUIC}: ${CARGO} or ${RUSTC} missing (Debian: apt-get install ${QUIC_PACKAGES})`);
    return;
  }
  try {
    execFileSync(CARGO, ['build', '--release', '--offline', '--locked'], { cwd: dir, stdio: quiet ? 'ignore' : 'inherit', env: { ...process.env, RUSTC } });
  } catch {
    throw new Error(`build-native: cannot build ${QUIC} with ${CARGO} (are ${QUIC_PACKAGES} installed?)`);
  }
  // Beside, then renamed: a running tunnel keeps its old binary (copying over it is ETXTBSY).
  copyFileSync(join(dir, 'target', 'release', 'nova-quic-tunnel'), `${out}.tmp`);
  renameSync(`${out}.tmp`, out);
  if (!quiet) console.log('built out/native/nova-quic-tunnel');
}

// --no-quic: the C helpers only (the test setup: a first Rust build takes minutes; the quic tests build it).
if (process.argv[1] === import.meta.filename) buildNative({ quic: !process.argv.includes('--no-quic') });
