// Facts for planLaunch(), read from disk and the environment without side effects. Note that
// require('electron') itself would start a download when the binary is missing, so we read the
// package's path.txt the same way its index.js does instead of loading it.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BROWSERS } from './plan.js';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The Electron executable if present: ELECTRON_OVERRIDE_DIST_PATH first, then node_modules/electron/dist. */
export function electronBinary(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pkg = join(root, 'node_modules', 'electron');
  const pathTxt = join(pkg, 'path.txt');
  const name = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : undefined;
  const candidate = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron')
    : name
      ? join(pkg, 'dist', name)
      : undefined;
  return candidate && executable(candidate) ? candidate : undefined;
}

export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return executable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** NOVA_BROWSER (a name or a path) wins; otherwise the first Chromium-family browser on PATH. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NOVA_BROWSER) return which(env.NOVA_BROWSER, env);
  for (const b of BROWSERS) {
    const found = which(b, env);
    if (found) return found;
  }
  return undefined;
}

/** WAYLAND_DISPLAY is set and its socket exists (absolute, or under XDG_RUNTIME_DIR). */
export function waylandAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const d = env.WAYLAND_DISPLAY;
  if (!d) return false;
  const socket = d.startsWith('/') ? d : join(env.XDG_RUNTIME_DIR ?? '', d);
  try {
    return statSync(socket).isSocket();
  } catch {
    return false;
  }
}

const BUILD_OUTPUTS = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/cli/nova.cjs', 'out/native/nova-capsule-supervisor'];
const BUILD_INPUTS = ['src', 'native', 'package.json', 'electron.vite.config.ts', 'scripts/build-node.mjs', 'scripts/build-native.mjs'];

function newestMtime(p: string): number {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(p)) {
    // Tests do not change what the app runs.
    if (/\.test\.tsx?$/.test(name)) continue;
    newest = Math.max(newest, newestMtime(join(p, name)));
  }
  return newest;
}

/** Why a build is needed (missing or older than the sources), or undefined when out/ is fresh. */
export function buildNeeded(root: string): string | undefined {
  const outputs = BUILD_OUTPUTS.map((p) => join(root, p));
  const missing = outputs.filter((p) => !existsSync(p));
  if (missing.length) return `out/ is incomplete (${missing.length} of ${outputs.length} outputs missing)`;
  const oldestOut = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  const newestIn = Math.max(...BUILD_INPUTS.map((p) => newestMtime(join(root, p))));
  return newestIn > oldestOut ? 'sources changed since the last build' : undefined;
}
