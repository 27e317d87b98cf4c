// Builds the native helpers (native/*.c) into out/native: the capsule supervisor, the lock helper,
// the peer-credentials reader of `nova privd` and the pty of in-app terminals.
// Skips when the binary is newer than its source, so test runs can call it cheaply.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const targets = [
  { src: 'native/capsule-supervisor.c', out: 'out/native/nova-capsule-supervisor', deps: ['native/userns.h', 'native/capsule-net.h'] },
  { src: 'native/lock-helper.c', out: 'out/native/nova-lock-helper' },
  { src: 'native/peercred.c', out: 'out/native/nova-peercred' },
  { src: 'native/userns-exec.c', out: 'out/native/nova-userns-exec', deps: ['native/userns.h'] },
  { src: 'native/pty-helper.c', out: 'out/native/nova-pty' },
];

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
};

export function buildNative({ quiet = false } = {}) {
  mkdirSync(join(root, 'out', 'native'), { recursive: true });
  for (const t of targets) {
    const src = join(root, t.src);
    const out = join(root, t.out);
    if (mtime(out) > Math.max(mtime(src), ...(t.deps ?? []).map((d) => mtime(join(root, d))))) continue;
    const cc = process.env.CC || 'cc';
    try {
      execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', out, src], { stdio: 'inherit' });
    } catch (e) {
      const why = e.code === 'ENOENT' ? `${cc} is not installed (Debian: apt-get install gcc libc6-dev)` : `${cc} failed`;
      throw new Error(`build-native: cannot build ${t.out}: ${why}`);
    }
    if (!quiet) console.log(`built ${t.out}`);
  }
}

if (process.argv[1] === import.meta.filename) buildNative();
