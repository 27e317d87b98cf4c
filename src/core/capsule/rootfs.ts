import { mkdir } from 'node:fs/promises';
import type { CapsuleLayout } from './layout.js';

// Each capsule's root: overlayfs with the (shared, read-only) image rootfs as lower layer and
// its own upper/work folders. The supervisor mounts it inside the capsule's private mount
// namespace, so it exists exactly as long as the capsule and never leaks into the host's mounts.

export async function prepareOverlayDirs(layout: CapsuleLayout): Promise<void> {
  // The upper dir's own mode becomes the capsule's "/" (non-root users must traverse it); the
  // capsule folder around it stays 0700.
  for (const d of [layout.upper, layout.rootfs]) await mkdir(d, { recursive: true, mode: 0o755 });
  await mkdir(layout.work, { recursive: true, mode: 0o700 });
}
