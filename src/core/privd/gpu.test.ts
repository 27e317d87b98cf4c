// A desktop user's GPU passthrough through `nova privd`, for real: the helper runs as root with a
// fixture sysfs tree and a fixture /dev/vfio folder fixed at its start (NOVA_SYSFS_ROOT,
// NOVA_VFIO_DIR in its own environment), the `nova` CLI runs as ordinary users created here
// (setpriv) reading the same tree. polkit is not running: the --group fallback decides.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildScenario } from '../gpu/testing/hosts.js';
import { describeHost } from '../../test/host.js';
import { NetnsLab, suffix } from '../../test/netns.js';
import { errorOf, NOVA_GPU_FIXTURE, PrivdLab, tearDownPrivdLab } from '../../test/privd.js';
import type { Run } from '../../test/privd.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';

const GPU = '0000:01:00.0';
const AUDIO = '0000:01:00.1';
const GROUP = '14';

type ActionOut = { ok: boolean; results: { ok: boolean; devices: { address: string; from?: string; to?: string }[]; error?: { code: string; message: string; fix?: string } }[] };

describeHost('nova privd: VFIO for ordinary users (fixture sysfs)', { root: true, tools: ['ip', 'setpriv', 'useradd', 'cc'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const ns = `nvgd-${sfx}`;
  let p: PrivdLab;
  let sys: string;
  let vfio: string;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;
  const nova = (u: TestUser, args: string[], env: NodeJS.ProcessEnv = {}) => p.nova(u, args, { NOVA_SYSFS_ROOT: sys, ...env });
  const out = (r: Run) => JSON.parse(r.stdout) as ActionOut;
  const driver = (addr: string) => {
    try {
      return basename(readlinkSync(join(sys, 'bus/pci/devices', addr, 'driver')));
    } catch {
      return undefined;
    }
  };
  const node = (group = GROUP) => {
    const st = statSync(join(vfio, group));
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  };
  /** Every device's driver and override, every group node's owner: "nothing changed" is this, equal. */
  const snapshot = () =>
    JSON.stringify([
      readdirSync(join(sys, 'bus/pci/devices')).map((d) => [d, driver(d), readFileSync(join(sys, 'bus/pci/devices', d, 'driver_override'), 'utf8')]),
      readdirSync(vfio).map((g) => [g, node(g)]),
    ]);

  beforeAll(async () => {
    lab.add(ns);
    p = new PrivdLab(ns);
    sys = await buildScenario('desktop-rtx5090', join(p.dir, 'host'));
    // One node per IOMMU group, as the kernel makes them: root's, 0600.
    vfio = join(p.dir, 'vfio');
    mkdirSync(vfio, { mode: 0o755 });
    for (const g of readdirSync(join(sys, 'kernel/iommu_groups'))) writeFileSync(join(vfio, g), '', { mode: 0o600 });
    const group = users.group(`nvgg${sfx}`);
    a = users.add(`nvga${sfx}`, [group]);
    b = users.add(`nvgb${sfx}`, [group]);
    c = users.add(`nvgc${sfx}`);
    await p.start(['--group', group], { NOVA_SYSFS_ROOT: sys, NOVA_VFIO_DIR: vfio }, NOVA_GPU_FIXTURE);
  }, 120_000);

  afterAll(() => tearDownPrivdLab(p, lab, users));

  it('an ordinary user binds the GPU: its group moves to vfio-pci and /dev/vfio/N is handed to them', async () => {
    expect(p.log).toContain(`privd: devices from ${sys}, VFIO group nodes in ${vfio}`);
    const r = await nova(a, ['gpu', 'bind', '01:00.0']);
    expect(r.stderr).toBe('');
    expect(out(r)).toMatchObject({ ok: true, results: [{ ok: true, devices: [{ address: GPU, from: 'nvidia', to: 'vfio-pci' }, { address: AUDIO, from: 'snd_hda_intel', to: 'vfio-pci' }] }] });
    expect([driver(GPU), driver(AUDIO)]).toEqual(['vfio-pci', 'vfio-pci']);
    expect(node()).toEqual({ uid: a.uid, gid: a.gid, mode: 0o600 });
    expect(p.log).toMatch(new RegExp(`uid=${a.uid} pid=\\d+ gpu.bind .*${GPU}.* → ok`));
    // What the helper needs to undo it is root's (its state folder), not in the user's.
    expect(existsSync(join(p.dir, 'root', 'data', 'gpu', 'original-drivers.json'))).toBe(true);
    expect(existsSync(join(p.dir, a.name, 'data', 'gpu', 'original-drivers.json'))).toBe(false);
  }, 180_000);

  it('a second user can neither reattach, unbind, reset, release nor re-bind the first user’s group', async () => {
    const before = snapshot();
    const back = out(await nova(b, ['gpu', 'reattach', GPU]));
    expect(back.results[0]!.error).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining(`belongs to uid ${a.uid}`) });
    for (const [verb, input, msg] of [
      ['gpu.unbind', { address: AUDIO }, `held by uid ${a.uid}`],
      ['gpu.bind', { address: GPU }, `held by uid ${a.uid}`],
      ['gpu.reset', { address: GPU }, `belongs to uid ${a.uid}`],
      ['gpu.release', { address: GPU }, `belongs to uid ${a.uid}`],
      ['gpu.reattach', { address: AUDIO }, `belongs to uid ${a.uid}`],
    ] as const) {
      const r = await p.raw(b, { verb, input });
      expect(r.error, verb).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining(msg) });
    }
    expect(snapshot()).toBe(before);
    expect(node().uid).toBe(a.uid);
  }, 180_000);

  it('refuses hostile device inputs in the helper itself, changing nothing', async () => {
    const before = snapshot();
    const cases: [unknown, string, RegExp][] = [
      [{ verb: 'gpu.bind', input: { address: '../../../etc/passwd' } }, 'INVALID_INPUT', /invalid address/],
      [{ verb: 'gpu.bind', input: { address: `${GPU};reboot` } }, 'INVALID_INPUT', /invalid address/],
      [{ verb: 'gpu.bind', input: { address: `/sys/bus/pci/devices/${GPU}` } }, 'INVALID_INPUT', /invalid address/],
      [{ verb: 'gpu.reattach', input: { address: `${GPU}/../../..` } }, 'INVALID_INPUT', /invalid address/],
      [{ verb: 'gpu.bind', input: { address: '0000:03:00.0', root: join(p.dir, 'evil') } }, 'INVALID_INPUT', /invalid/],
      [{ verb: 'gpu.release', input: { address: GPU, vfioDir: '/etc' } }, 'INVALID_INPUT', /invalid/],
      [{ verb: 'gpu.bind', input: { address: '0000:02:00.0' } }, 'INVALID_INPUT', /not a GPU/],
      [{ verb: 'gpu.bind', input: { address: '0000:09:00.0' } }, 'NOT_FOUND', /no PCI device/],
      [{ verb: 'gpu.bind', input: { address: '0000:00:02.0' } }, 'CONFLICT', /drives the host display/],
    ];
    for (const [req, code, msg] of cases) {
      const r = await p.raw(b, req);
      expect(r.ok, JSON.stringify(req)).toBe(false);
      expect(r.error, JSON.stringify(req)).toMatchObject({ code, message: expect.stringMatching(msg) });
    }
    expect(snapshot()).toBe(before);
  }, 120_000);

  it('a user the helper does not authorize, or a user without the helper, gets PERMISSION naming org.nova.manage-devices; nothing changes', async () => {
    const before = snapshot();
    const denied = out(await nova(c, ['gpu', 'bind', GPU]));
    expect(denied.results[0]!.error).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('gpu.bind needs the polkit action org.nova.manage-devices') });
    expect(JSON.stringify(denied)).not.toContain('sudo');
    const raw = await p.raw(c, { verb: 'gpu.reattach', input: { address: GPU } });
    expect(raw.error).toMatchObject({ code: 'PERMISSION', details: { action: 'org.nova.manage-devices' } });
    const gone = join(p.dir, 'no-privd.sock');
    const missing = errorOf(await nova(a, ['gpu', 'reattach', GPU], { NOVA_PRIVD_SOCKET: gone }));
    expect(missing).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('org.nova.manage-devices'), details: { action: 'org.nova.manage-devices' } });
    expect(missing.message).toContain(`nova privd --socket ${gone}`);
    expect(JSON.stringify(missing)).not.toContain('sudo');
    expect(snapshot()).toBe(before);
  }, 180_000);

  it('reattach gives the group back to its host drivers and /dev/vfio/N back to root (0600); then it is free for others', async () => {
    const r = await nova(a, ['gpu', 'reattach', GPU]);
    expect(r.stderr).toBe('');
    expect(out(r).results[0]!.devices).toEqual([
      { address: GPU, from: 'vfio-pci', to: 'nvidia' },
      { address: AUDIO, from: 'vfio-pci', to: 'snd_hda_intel' },
    ]);
    expect([driver(GPU), driver(AUDIO)]).toEqual(['nvidia', 'snd_hda_intel']);
    expect(node()).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    const owners = JSON.parse(readFileSync(join(p.dir, 'root', 'data', 'privd', 'owners.json'), 'utf8')) as { device?: Record<string, number> };
    expect(owners.device ?? {}).toEqual({});
    // Free again: another user may take it (raw, as their engine would), and give it back.
    expect(await p.raw(b, { verb: 'gpu.bind', input: { address: GPU } })).toMatchObject({ ok: true });
    expect(node().uid).toBe(b.uid);
    expect(await p.raw(b, { verb: 'gpu.release', input: { address: GPU } })).toMatchObject({ ok: true });
    expect([driver(GPU), node()]).toEqual(['vfio-pci', { uid: 0, gid: 0, mode: 0o600 }]);
    expect(await p.raw(b, { verb: 'gpu.reattach', input: { address: GPU } })).toMatchObject({ ok: false, error: { code: 'PERMISSION' } });
    expect(await p.raw(a, { verb: 'gpu.bind', input: { address: GPU } })).toMatchObject({ ok: true });
    expect(await p.raw(a, { verb: 'gpu.reattach', input: { address: GPU } })).toMatchObject({ ok: true });
    expect([driver(GPU), node().uid]).toEqual(['nvidia', 0]);
  }, 180_000);
});
