import { mkdir, readFile } from 'node:fs/promises';
import type { Runner } from '../sys/runner.js';
import type { CapsuleLayout } from './layout.js';

// Each capsule's root: overlayfs with the (shared, read-only) image rootfs as lower layer and
// its own upper/work folders. Mounted on start, unmounted on rm (and on stop: nothing leaks).

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export async function mountPoints(mountinfo = '/proc/self/mountinfo'): Promise<string[]> {
  const text = await readFile(mountinfo, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => unescapeMount(l.split(' ')[4] ?? ''));
}

export async function isMounted(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

export async function mountOverlay(runner: Runner, layout: CapsuleLayout, lower: string): Promise<boolean> {
  if (await isMounted(layout.rootfs)) return false;
  // The upper dir's own mode becomes the capsule's "/" (non-root users must traverse it); the
  // capsule folder around it stays 0700.
  for (const d of [layout.upper, layout.rootfs]) await mkdir(d, { recursive: true, mode: 0o755 });
  await mkdir(layout.work, { recursive: true, mode: 0o700 });
  await runner.run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${layout.upper},workdir=${layout.work}`, layout.rootfs]);
  return true;
}

/** Unmounts the capsule's root (lazily if something still holds it). Idempotent. */
export async function unmountOverlay(runner: Runner, layout: CapsuleLayout): Promise<void> {
  for (let i = 0; i < 3 && (await isMounted(layout.rootfs)); i++) {
    const r = await runner.run(['umount', layout.rootfs], { allowFailure: true });
    if (r.exitCode !== 0 && i === 2) await runner.run(['umount', '-l', layout.rootfs], { allowFailure: true });
  }
}
