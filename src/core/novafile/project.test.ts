import { stat, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../shared/errors.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { ProjectService } from './project.js';
import { stateFile } from './state.js';
import { memoryHost } from './testing/memory-host.js';
import type { MemHost } from './testing/memory-host.js';

const NOVAFILE = `
project = "lab"
[network.lan]
subnet = "10.213.9.1/24"
[container.api]
capsule = "alpine:3.20"
network = "lan"
env.API_KEY = "hunter22"
[container.worker]
capsule = "alpine:3.20"
network = "lan"
[vm.web]
kernel = "./vmlinuz"
memory = "256Mi"
network = "lan"
`;

let home: TempHome;
let host: MemHost;
let dir: string;
let svc: ProjectService;

beforeEach(async () => {
  home = await tempHome('nova-nf-');
  dir = join(home.dir, 'proj');
  await mkdir(dir);
  await writeFile(join(dir, 'vmlinuz'), 'kernel');
  await writeFile(join(dir, 'NovaFile'), NOVAFILE);
  host = memoryHost({ images: [] });
  svc = new ProjectService(home.engine({}, []), () => host);
});
afterEach(() => home.cleanup());

const src = () => ({ cwd: dir });

describe('ProjectService (in-memory backends, real lock and state file)', () => {
  it('up creates in order and starts everything; a second up touches nothing', async () => {
    const r = await svc.up(src());
    expect(r.ok).toBe(true);
    expect(r.applied.map((a) => `${a.status} ${a.action} ${a.kind}/${a.name}`).sort()).toEqual(
      ['done create capsule/api', 'done create capsule/worker', 'done create image/alpine:3.20', 'done create network/lan', 'done create vm/web'],
    );
    const order = host.calls.filter((c) => !c.includes('inspect') && !c.startsWith('resource.list') && !c.startsWith('image.list'));
    expect(order.indexOf('network.create lan')).toBeLessThan(order.indexOf('capsule.create api'));
    expect(order.indexOf('image.pull alpine:3.20')).toBeLessThan(order.indexOf('capsule.create worker'));
    expect([...host.resources.values()].every((x) => x.project === 'lab' && ['running', 'Active'].includes(x.state))).toBe(true);

    host.calls.length = 0;
    const again = await svc.up(src());
    expect(again.message).toBe('no changes');
    // Lists per kind, plus one secrets inspect for the capsule whose env the list redacts.
    expect(host.calls.filter((c) => c.includes('inspect')).sort()).toEqual(['capsule.inspect api', 'image.inspect alpine:3.20']);
    expect(again.applied).toEqual([]);
    expect(host.calls.filter((c) => /\.(create|start|stop|delete|rm|pull)\b/.test(c))).toEqual([]);
  });

  it('keeps env secrets out of plans and stores applied state with mode 0600', async () => {
    await svc.up(src());
    await writeFile(join(dir, 'NovaFile'), NOVAFILE.replace('hunter22', 'hunter23'));
    const plan = await svc.plan(src());
    expect(plan.changes.find((c) => c.name === 'api')).toMatchObject({ action: 'replace', reasons: ['env.API_KEY: changed (value hidden)'] });
    expect(JSON.stringify(plan)).not.toContain('hunter2');
    const st = await stat(stateFile(home.engine({}, []).paths, 'lab'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(await readFile(stateFile(home.engine({}, []).paths, 'lab'), 'utf8')).toContain('"network/lan"');
  });

  it('reverts a capsule whose start fails and still builds independent items', async () => {
    host.failOn.set('capsule.start api', new NovaError('INTERNAL', 'crun: exec failed'));
    const r = await svc.up(src());
    expect(r.ok).toBe(false);
    expect(r.applied.find((a) => a.name === 'api')).toMatchObject({ status: 'failed', message: 'crun: exec failed' });
    expect(host.resources.has('capsule/api')).toBe(false);
    expect(host.resources.get('capsule/worker')?.state).toBe('running');
    host.failOn.clear();
    const plan = await svc.plan(src());
    expect(plan.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.name}`)).toEqual(['create api']);
  });

  it('refuses host limits unless partial, then applies the rest', async () => {
    await writeFile(join(dir, 'NovaFile'), `${NOVAFILE}\n[network.wan]\ntype = "overlay"\ndriver = "quic"\n[container.edge]\ncapsule = "alpine:3.20"\nnetwork = "wan"\n`);
    await expect(svc.up(src())).rejects.toMatchObject({ code: 'HOST_UNSUPPORTED', message: expect.stringContaining('network.wan.driver') });
    expect(host.calls.filter((c) => c.includes('.create'))).toEqual([]);
    const r = await svc.up({ ...src(), partial: true });
    expect(r.ok).toBe(true);
    expect(r.applied).toHaveLength(5);
    expect(host.resources.has('network/wan') || host.resources.has('capsule/edge')).toBe(false);
    expect(r.plan.changes.find((c) => c.name === 'edge')?.blocked).toBe('needs network wan, which is blocked');
  });

  it('two concurrent ups: one waits on the project lock, both end consistent', async () => {
    host.delayMs = 30;
    const e1 = home.engine({}, []);
    const e2 = home.engine({}, []);
    svc = new ProjectService(e1, () => host);
    const svc2 = new ProjectService(e2, () => host);
    const waits: string[] = [];
    for (const e of [e1, e2]) e.bus.on('notification', (n) => waits.push(n.body));
    const [a, b] = await Promise.all([svc.up(src()), (async () => {
      await new Promise((r) => setTimeout(r, 10));
      return svc2.up(src());
    })()]);
    expect(a.ok && b.ok).toBe(true);
    // Exactly one of them did the work; each item was created once.
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, 5]);
    for (const id of ['network.create lan', 'capsule.create api', 'vm.create web']) expect(host.calls.filter((c) => c === id)).toHaveLength(1);
    expect(waits).toEqual([expect.stringMatching(/^pid \d+ \(nova up lab\) holds the project lock; waiting/)]);
  });

  it('down removes only what the project labelled, workloads before networks', async () => {
    await svc.up(src());
    host.resources.set('capsule/mine', { kind: 'capsule', name: 'mine', spec: {}, state: 'running' });
    host.calls.length = 0;
    const r = await svc.down({ ...src(), volumes: true });
    expect(r.ok).toBe(true);
    expect([...host.resources.keys()]).toEqual(['capsule/mine']);
    const rm = host.calls.filter((c) => /\.(rm|delete)\b/.test(c));
    expect(rm.at(-1)).toBe('network.rm lan');
    expect(host.calls).toContain('vm.delete web');
    expect((await svc.down(src())).message).toMatch(/nothing to remove/);
  });

  it('notes an interrupted up (dead pid in the state file), converges it and clears the marker', async () => {
    await svc.up(src());
    const paths = home.engine({}, []).paths;
    const file = stateFile(paths, 'lab');
    const st = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...st, running: { pid: 999_999_999, startedAt: 1 } }));
    host.resources.delete('capsule/worker');
    const plan = await svc.plan(src());
    expect(plan.interrupted).toMatch(/pid 999999999.*did not finish/);
    expect(plan.changes.find((c) => c.name === 'worker')).toMatchObject({ action: 'create', drift: false });
    expect((await svc.up(src())).ok).toBe(true);
    expect((await svc.plan(src())).interrupted).toBeUndefined();
    // Converged already but the marker left behind: the next up clears it.
    await writeFile(file, JSON.stringify({ ...st, running: { pid: 999_999_999, startedAt: 1 } }));
    expect((await svc.up(src())).message).toBe('no changes');
    expect(JSON.parse(await readFile(file, 'utf8'))).not.toHaveProperty('running');
  });

  it('nova run applies one item and what it needs, nothing else', async () => {
    const r = await svc.run({ ...src(), kind: 'container', name: 'api' });
    expect(r.applied.map((a) => `${a.kind}/${a.name}`).sort()).toEqual(['capsule/api', 'image/alpine:3.20', 'network/lan']);
    await expect(svc.run({ ...src(), kind: 'vm', name: 'api' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no vm named "api"') });
  });

  it('updates a running VM in place with vm.update: stop → update → start', async () => {
    await svc.up(src());
    await writeFile(join(dir, 'NovaFile'), NOVAFILE.replace('"256Mi"', '"512Mi"'));
    host.calls.length = 0;
    const r = await svc.up(src());
    expect(r.plan.changes.find((c) => c.name === 'web')).toMatchObject({ action: 'update', reasons: ['memory: 256 MiB → 512 MiB (restarts it)'] });
    expect(host.calls.filter((c) => c.endsWith(' web') && !c.includes('inspect'))).toEqual(['vm.stop web', 'vm.update web', 'vm.start web']);
    expect(host.resources.get('vm/web')).toMatchObject({ state: 'running', spec: { memory: 512 * 1024 ** 2 } });
  });

  it('restores the old spec and restarts the VM when the updated one fails to start', async () => {
    await svc.up(src());
    await writeFile(join(dir, 'NovaFile'), NOVAFILE.replace('"256Mi"', '"512Mi"'));
    let starts = 0;
    const inner = host.call;
    host.call = async (m, i, s) => {
      if (m === 'vm.start' && starts++ === 0) throw new NovaError('INTERNAL', 'qemu: cannot allocate memory');
      return inner(m, i, s);
    };
    const r = await svc.up(src());
    expect(r.applied.find((a) => a.name === 'web')).toMatchObject({ status: 'failed', message: 'qemu: cannot allocate memory' });
    expect(host.resources.get('vm/web')).toMatchObject({ state: 'running', spec: { memory: 256 * 1024 ** 2 } });
  });

  it('resumes a paused capsule instead of starting it', async () => {
    await svc.up(src());
    host.resources.get('capsule/worker')!.state = 'paused';
    host.calls.length = 0;
    const r = await svc.up(src());
    expect(r.plan.changes.find((c) => c.name === 'worker')).toMatchObject({ action: 'start', drift: true });
    expect(host.calls).toContain('capsule.resume worker');
    expect(host.resources.get('capsule/worker')!.state).toBe('running');
  });

  it('replaces a capsule on an edit it cannot take live, with the call sequence rm → create → start', async () => {
    await svc.up(src());
    await writeFile(join(dir, 'NovaFile'), NOVAFILE.replace('hunter22', 'hunter23'));
    host.calls.length = 0;
    const r = await svc.up(src());
    expect(r.plan.changes.find((c) => c.name === 'api')).toMatchObject({ action: 'replace', reasons: ['env.API_KEY: changed (value hidden)'] });
    expect(host.calls.filter((c) => c.endsWith(' api') && !c.includes('inspect'))).toEqual(['capsule.rm api', 'capsule.create api', 'capsule.start api']);
    expect((host.resources.get('capsule/api')!.spec as { env: Record<string, string> }).env.API_KEY).toBe('hunter23');
  });
});
