import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { buildScenario } from '../gpu/testing/hosts.js';
import { runPreflight } from './preflight.js';

// Preflight on this real host (real KVM probe, real tools) with the GPU side read from fixtures.
let home: TempHome;
beforeAll(async () => {
  home = await tempHome('nova-preflight-');
});
afterAll(() => home.cleanup());

describe('support.preflight', () => {
  it('reports KVM as tried, the IOMMU/VFIO state of the sysfs it reads, and a remedy for Debian and Arch on every non-ok check', async () => {
    const root = await buildScenario('no-iommu', join(home.dir, 'noiommu'));
    const engine = home.engine({ sysfsRoot: root });
    const r = await engine.dispatcher.invoke('support.preflight', {});
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    const host = await engine.host.info();
    expect(byId.kvm!.detail).toBe(host.accelerator.reason);
    expect(byId.kvm!.status).toBe(host.accelerator.kvmUsable ? 'ok' : host.accelerator.kind === 'tcg' ? 'warn' : 'fail');
    expect(byId.iommu).toMatchObject({ status: 'warn', remedy: { debian: expect.stringContaining('update-grub'), arch: expect.stringContaining('grub-mkconfig') } });
    expect(byId.vfio).toMatchObject({ status: 'warn', detail: expect.stringContaining('vfio_pci') });
    for (const id of ['qemu-system-x86_64', 'qemu-img', 'swtpm', 'ovmf', 'runtime', 'cgroups', 'nft', 'dnsmasq', 'tcpdump', 'wayland', 'privd', 'polkit', 'kvm-access', 'rootless-subids', 'rootless-uidmap', 'rootless-userns', 'rootless-cgroups']) expect(byId[id], id).toBeDefined();
    // Nothing in Nova uses virsh or nmcli (no libvirt import, no uplink hints from NetworkManager): not recommended.
    for (const id of ['virsh', 'nmcli']) expect(byId[id], id).toBeUndefined();
    for (const c of r.checks.filter((x) => x.status !== 'ok')) {
      expect(c.remedy?.debian, c.id).toBeTruthy();
      expect(c.remedy?.arch, c.id).toBeTruthy();
    }
    expect(r.ok).toBe(r.counts.fail === 0);
    expect(r.counts.ok + r.counts.warn + r.counts.fail).toBe(r.checks.length);
  });

  it('a passthrough-ready host: IOMMU groups, VFIO and hugepages ok; OVMF without Microsoft vars is a warning', async () => {
    const root = await buildScenario('desktop-rtx5090', join(home.dir, 'desktop'));
    const engine = home.engine({ sysfsRoot: root });
    const code = join(home.dir, 'OVMF_CODE_4M.secboot.fd');
    await writeFile(code, 'x');
    const r = await runPreflight(engine, { ovmfCode: [code], ovmfMsVars: [join(home.dir, 'absent.fd')] });
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId.iommu).toMatchObject({ status: 'ok', detail: '9 IOMMU groups' });
    expect(byId.vfio!.status).toBe('ok');
    expect(byId.hugepages).toMatchObject({ status: 'ok', detail: '2048/2048 free × 2 MiB' });
    expect(byId.ovmf).toMatchObject({ status: 'warn', detail: expect.stringContaining('no vars with Microsoft keys') });
  });
});
