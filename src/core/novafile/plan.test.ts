import { describe, expect, it } from 'vitest';
import { validateNovafileText } from './validate.js';
import { declare, idOf } from './model.js';
import type { HostFacts, Observed, ObservedItem } from './model.js';
import { planProject } from './plan.js';

const BASE = `
project = "lab"
[network.lan]
subnet = "10.213.7.1/24"
profile = "nat"
[vm.web]
kernel = "/boot/vmlinuz"
memory = "256Mi"
network = "lan"
[container.api]
capsule = "alpine:3.20"
network = "lan"
env.API_KEY = "hunter22"
`;

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({
  gpu: {},
  overlay: { vxlan: { ok: true, reason: '' }, quic: { ok: false, reason: 'no QUIC overlay here' }, wireguard: { ok: false, reason: 'no wireguard module' } },
  missingFiles: [],
  ...over,
});

function parse(text: string, trackImages = false) {
  const { novafile, errors } = validateNovafileText(text, 'NovaFile');
  expect(errors).toEqual([]);
  return declare(novafile!, '/tmp/lab', { trackImages });
}

/** The host exactly as declared and running (what a finished `up` leaves). */
function converged(text: string): Observed {
  const d = parse(text);
  const items = new Map<string, ObservedItem>();
  for (const i of d.items) items.set(idOf(i.kind, i.name), { kind: i.kind, name: i.name, project: d.project, spec: JSON.parse(JSON.stringify(i.spec)), state: i.kind === 'network' ? 'Active' : 'running' });
  return { items };
}

const byName = (p: ReturnType<typeof planProject>, name: string) => p.changes.find((c) => c.name === name)!;

describe('planProject', () => {
  it('creates everything on an empty host, networks first', () => {
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed: { items: new Map() }, facts: facts() });
    expect(p.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['create network/lan', 'create vm/web', 'create capsule/api']);
    expect(byName(p, 'web').needs).toEqual(['network/lan']);
    expect(p.summary.create).toBe(3);
    expect(p.converged).toBe(false);
  });

  it('says no changes when the host matches, even with backend-filled fields', () => {
    const observed = converged(BASE);
    (observed.items.get('vm/web')!.spec as Record<string, unknown>).mac = '52:54:00:aa:bb:cc';
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts() });
    expect(p.converged).toBe(true);
    expect(p.changes.every((c) => c.action === 'noop')).toBe(true);
  });

  it('updates a VM whose memory changed in place (with a restart), naming the field with old → new', () => {
    const p = planProject({ file: 'NovaFile', declared: parse(BASE.replace('"256Mi"', '"512Mi"')), observed: converged(BASE), facts: facts() });
    expect(byName(p, 'web')).toMatchObject({ action: 'update', fields: ['memory'], reasons: ['memory: 256 MiB → 512 MiB (restarts it)'] });
    expect(byName(p, 'api').action).toBe('noop');
  });

  it('updates a capsule live for restart/limits, replaces it for anything else', () => {
    const live = planProject({ file: 'NovaFile', declared: parse(BASE.replace('env.API_KEY', 'restart = "always"\nenv.API_KEY')), observed: converged(BASE), facts: facts() });
    expect(byName(live, 'api')).toMatchObject({ action: 'update', fields: ['restart'], reasons: ['restart: "no" → "always"'] });
    const both = planProject({ file: 'NovaFile', declared: parse(BASE.replace('env.API_KEY', 'restart = "always"\nenv.API_KEY').replace('hunter22', 'x')), observed: converged(BASE), facts: facts() });
    expect(byName(both, 'api').action).toBe('replace');
  });

  it('never shows env values, only that they changed', () => {
    const p = planProject({ file: 'NovaFile', declared: parse(BASE.replace('hunter22', 'hunter23')), observed: converged(BASE), facts: facts() });
    const api = byName(p, 'api');
    expect(api).toMatchObject({ action: 'replace', fields: ['env.API_KEY'], reasons: ['env.API_KEY: changed (value hidden)'] });
    expect(JSON.stringify(p)).not.toMatch(/hunter2/);
  });

  it('reports a VM stopped by hand as drift to start', () => {
    const observed = converged(BASE);
    observed.items.get('vm/web')!.state = 'Stopped';
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts() });
    expect(byName(p, 'web')).toMatchObject({ action: 'start', drift: true, fields: ['state'] });
    expect(byName(p, 'web').reasons[0]).toMatch(/stopped, declared running \(drift\)/);
  });

  it('recreates a switch removed by hand and rebuilds running attachments', () => {
    const observed = converged(BASE);
    observed.items.delete('network/lan');
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts(), applied: { project: 'lab', items: { 'network/lan': { appliedAt: 1 } } } });
    expect(byName(p, 'lan')).toMatchObject({ action: 'create', drift: true });
    expect(byName(p, 'lan').reasons[0]).toMatch(/removed outside Nova/);
    expect(byName(p, 'web')).toMatchObject({ action: 'replace', reasons: ['network lan is recreated, so its attachment must be rebuilt'] });
  });

  it('repairs a network the backend reports Down in place; its workloads keep running', () => {
    const observed = converged(BASE);
    Object.assign(observed.items.get('network/lan')!, { state: 'Down', reason: 'bridge nova-lan is missing' });
    const repaired = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts() });
    expect(byName(repaired, 'lan')).toMatchObject({ action: 'update', fields: ['state'], drift: true, reasons: ['network is Down: bridge nova-lan is missing (drift): repair it in place'] });
    expect(byName(repaired, 'web').action).toBe('noop');
  });

  it('deletes what the project created but no longer declares, never other projects', () => {
    const observed = converged(BASE);
    observed.items.set('capsule/old', { kind: 'capsule', name: 'old', project: 'lab', state: 'running' });
    observed.items.set('capsule/theirs', { kind: 'capsule', name: 'theirs', project: 'other', state: 'running' });
    const p = planProject({ file: '/x/NovaFile', declared: parse(BASE), observed, facts: facts() });
    expect(byName(p, 'old')).toMatchObject({ action: 'delete', reasons: ['no longer declared in NovaFile'] });
    expect(p.changes.find((c) => c.name === 'theirs')).toBeUndefined();
    expect(p.changes.at(-1)!.name).toBe('old');
  });

  it('reports a name taken outside the project as a conflict and blocks it', () => {
    const observed: Observed = { items: new Map([['vm/web', { kind: 'vm', name: 'web', state: 'running', spec: {} }]]) };
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts() });
    expect(p.errors).toEqual([expect.objectContaining({ category: 'conflict', path: 'vm.web', message: expect.stringContaining('created by hand') })]);
    expect(byName(p, 'web').blocked).toBeDefined();
    expect(byName(p, 'api').blocked).toBeUndefined();
  });

  it('turns host limits into located errors and blocks what depends on them', () => {
    const text = `${BASE}
[vm.gpu]
kernel = "/boot/vmlinuz"
gpu_passthrough = true
[network.wan]
type = "overlay"
driver = "quic"
[container.edge]
capsule = "alpine:3.20"
network = "wan"
`;
    const places = new Map([['vm.gpu.gpu_passthrough', { line: 17, column: 1 }]]);
    const p = planProject({
      file: 'NovaFile', declared: parse(text), observed: { items: new Map() },
      facts: facts({ gpu: { gpu: { ok: false, reason: 'no GPU bound to vfio-pci' } } }), locate: (k) => places.get(k),
    });
    expect(p.errors.map((e) => [e.category, e.path])).toEqual([['host-limit', 'vm.gpu.gpu_passthrough'], ['host-limit', 'network.wan.driver']]);
    expect(p.errors[0]).toMatchObject({ line: 17, message: expect.stringContaining('no GPU bound to vfio-pci') });
    expect(p.errors[1]!.message).toContain('no QUIC overlay here');
    expect(byName(p, 'edge').blocked).toBe('needs network wan, which is blocked');
    expect(p.summary).toMatchObject({ create: 3, blocked: 3 });
  });

  it('reports missing boot files with their NovaFile path', () => {
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed: { items: new Map() }, facts: facts({ missingFiles: [{ path: 'vm.web.kernel', file: '/boot/vmlinuz' }] }) });
    expect(p.errors).toEqual([expect.objectContaining({ category: 'missing-file', path: 'vm.web.kernel', message: '/boot/vmlinuz does not exist' })]);
  });

  it('narrows to selected names plus what they need, and never deletes then', () => {
    const observed: Observed = { items: new Map([['capsule/old', { kind: 'capsule', name: 'old', project: 'lab', state: 'running' }]]) };
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts(), only: ['web'] });
    expect(p.changes.map((c) => `${c.kind}/${c.name}`)).toEqual(['network/lan', 'vm/web']);
    expect(() => planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts(), only: ['nope'] })).toThrow(/"nope" is not declared.*/);
  });

  it('pulls missing capsule images before the capsules that use them', () => {
    const d = parse(BASE, true);
    expect(d.images).toEqual(['alpine:3.20']);
    const p = planProject({ file: 'NovaFile', declared: d, observed: { items: new Map(), images: new Set() }, facts: facts() });
    expect(p.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['create network/lan', 'create image/alpine:3.20', 'create vm/web', 'create capsule/api']);
    expect(byName(p, 'api').needs).toEqual(['network/lan', 'image/alpine:3.20']);
  });

  it('detects a key removed from the NovaFile when the last up had set it', () => {
    const withMac = BASE.replace('memory = "256Mi"', 'memory = "256Mi"\nmac = "52:54:00:12:34:56"');
    const observed = converged(withMac);
    const applied = { project: 'lab', items: { 'vm/web': { appliedAt: 1, spec: observed.items.get('vm/web')!.spec } } };
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts(), applied });
    expect(byName(p, 'web')).toMatchObject({ action: 'update', reasons: ['mac: "52:54:00:12:34:56" → (unset) (restarts it)'] });
  });

  it('marks a half-finished previous up as convergence, not drift', () => {
    const observed = converged(BASE);
    observed.items.get('capsule/api')!.state = 'created';
    const p = planProject({ file: 'NovaFile', declared: parse(BASE), observed, facts: facts(), interrupted: 'the previous `nova up` (pid 1) did not finish' });
    expect(byName(p, 'api')).toMatchObject({ action: 'start', drift: false });
    expect(p.interrupted).toMatch(/did not finish/);
  });
});
