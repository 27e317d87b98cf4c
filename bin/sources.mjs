// Whether a build is older than the checkout's TypeScript sources (tests aside): bin/nova.mjs then
// runs the sources, and test entry points rebuild their bundle.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when a .ts/.tsx source under `dir` (test files aside) is newer than `builtMs`. */
export function sourcesNewerThan(dir, builtMs) {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? sourcesNewerThan(join(dir, e.name), builtMs) : /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && statSync(join(dir, e.name)).mtimeMs > builtMs,
  );
}
