// The GPU fixture build of `nova` (bundled by src/test/nova-gpu-fixture.mjs): the real CLI with
// every sysfs write of its engines going to the fixture kernel of NOVA_SYSFS_ROOT instead of /sys.
// Production has no switch to a fixture (src/core/gpu/writer.ts: injectSysfsWriter).
import { run } from '../cli/main.js';
import { FixtureKernel } from '../core/gpu/testing/fake-kernel.js';
import { injectSysfsWriter } from '../core/gpu/writer.js';

injectSysfsWriter((root) => new FixtureKernel(root));
void run(process.argv.slice(2)).then((code) => process.exit(code));
