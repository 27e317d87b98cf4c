#!/usr/bin/env node
// Test entry point: the real `nova` (CLI, `nova serve`, `nova privd`) from the sources, with every
// sysfs write of its engines going to the GPU fixture kernel of NOVA_SYSFS_ROOT instead of /sys.
// Tests that spawn Nova against a fixture tree run this file instead of bin/nova.mjs; production
// has no switch to a fixture (src/core/gpu/writer.ts: injectSysfsWriter).
const tsx = await import('tsx/esm/api');
tsx.register();
const { injectSysfsWriter } = await import('../core/gpu/writer.ts');
const { FixtureKernel } = await import('../core/gpu/testing/fake-kernel.ts');
injectSysfsWriter((root) => new FixtureKernel(root));
await import('../cli/index.ts');
