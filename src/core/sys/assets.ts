import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds a build output (e.g. "renderer/index.html", "native/nova-capsule-supervisor") from wherever
 * this code runs: the sources (src/…), the CLI bundle (out/cli), the app (out/main) or a package
 * (resources/cli next to resources/native). Walks up looking for `out/<rel>` or `<rel>`.
 */
export function findBuildOutput(rel: string, from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  // Build outputs first: from the sources, `src/renderer/index.html` (the vite source page) sits
  // nearer than `out/renderer/index.html` and must not win.
  return walkUp(from, (dir) => join(dir, 'out', rel)) ?? walkUp(from, (dir) => join(dir, rel));
}

function walkUp(from: string, candidate: (dir: string) => string): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(candidate(dir))) return candidate(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
