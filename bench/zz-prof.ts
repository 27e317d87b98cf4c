import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
const home = await mkdtemp(join(tmpdir(), 'nova-prof-'));
const env = { ...process.env, NOVA_HOME: home };
const engine = createEngine({ env, paths: resolvePaths(env) });
const call = (m: string, i: unknown) => engine.dispatcher.invoke(m, i);
const rootfs = busyboxRootfs(join(home, 'work'));
await call('capsule.create', { name: 'b', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
for (let i = 0; i < 8; i++) {
  const t = performance.now();
  if (i >= 5) process.env.NOVA_T = '1';
  await call('capsule.start', { name: 'b' });
  console.error('total', (performance.now() - t).toFixed(1));
  delete process.env.NOVA_T;
  await call('capsule.stop', { name: 'b', timeout: 0 });
}
await call('capsule.rm', { name: 'b', force: true });
await engine.close();
