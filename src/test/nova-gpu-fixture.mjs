#!/usr/bin/env node
// Test entry point: the real `nova` (CLI, `nova serve`, `nova privd`) with every sysfs write of its
// engines going to the GPU fixture kernel of NOVA_SYSFS_ROOT instead of /sys. Tests that spawn Nova
// against a fixture tree run this file instead of bin/nova.mjs.
// It runs a bundle of nova-gpu-fixture-entry.ts, rebuilt when any source is newer: a helper that
// tests restart dozens of times starts several times faster than through tsx.
import { renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sourcesNewerThan } from '../../bin/sources.mjs';

const root = join(import.meta.dirname, '..', '..');
// Outside out/: nothing built from test doubles may sit among the build outputs (bundles.test).
const bundle = join(root, '.nova-test', 'gpu-fixture', 'nova-gpu-fixture.cjs');

const builtAt = (() => {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return 0;
  }
})();
if (sourcesNewerThan(join(root, 'src'), builtAt)) {
  // Built under a private name, then renamed: test files building side by side never see half a file.
  const { bundleCli } = await import('../../scripts/packaging/bundle-cli.mjs');
  const tmp = join(root, '.nova-test', 'gpu-fixture', `.build-${process.pid}`);
  await bundleCli(root, join(tmp, 'nova-gpu-fixture.cjs'), 'cjs', join(import.meta.dirname, 'nova-gpu-fixture-entry.ts'));
  renameSync(join(tmp, 'nova-gpu-fixture.cjs.map'), `${bundle}.map`);
  renameSync(join(tmp, 'nova-gpu-fixture.cjs'), bundle);
  rmSync(tmp, { recursive: true, force: true });
}
// With V8's code cache, as bin/nova.mjs runs the CLI bundle (compiling 2 MB is most of a start).
const { runCached } = await import('../../bin/run-cached.mjs');
runCached(bundle);
