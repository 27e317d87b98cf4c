import { existsSync } from 'node:fs';
import type { PreflightCheck, PreflightReport } from '../../shared/contract/support.js';
import type { HostInfo } from '../../shared/contract/host.js';
import type { EngineContext } from '../context.js';
import { scanPci } from '../gpu/scanner.js';
import { helperCheck, kvmAccessCheck, polkitCheck } from './privilege-checks.js';
import { defaultProbe, rootlessChecks } from './rootless-checks.js';
import type { HostGpuFacts } from '../gpu/scanner.js';

// `nova support preflight`: is this host ready for Nova? Each check is ok / warn / fail with what
// to do on Debian and on Arch. fail = a core feature cannot work; warn = an optional one.

const OVMF_CODE = [
  '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', // Debian/Ubuntu
  '/usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd', // Arch
  '/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd', // Fedora
];
const OVMF_MS_VARS = ['/usr/share/OVMF/OVMF_VARS_4M.ms.fd', '/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd'];

const CMDLINE = {
  debian: 'enable VT-d/AMD-Vi in the firmware; add `intel_iommu=on iommu=pt` (or `amd_iommu=on iommu=pt`) to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, `sudo update-grub`, reboot',
  arch: 'enable VT-d/AMD-Vi in the firmware; add `intel_iommu=on iommu=pt` (or `amd_iommu=on iommu=pt`) to the kernel parameters (/etc/default/grub then `sudo grub-mkconfig -o /boot/grub/grub.cfg`, or /boot/loader/entries/*.conf), reboot',
};

export interface PreflightDeps {
  ovmfCode?: string[];
  ovmfMsVars?: string[];
}

function c(id: string, title: string, status: PreflightCheck['status'], detail: string, remedy?: PreflightCheck['remedy']): PreflightCheck {
  return remedy ? { id, title, status, detail, remedy } : { id, title, status, detail };
}

function toolCheck(host: HostInfo, name: string, failIfMissing: boolean, title?: string): PreflightCheck {
  const t = host.tools.find((x) => x.name === name);
  const label = title ?? name;
  if (t?.found) return c(name, label, 'ok', `${t.path}${t.version ? ` (${t.version})` : ''} — ${t.purpose}`);
  const pkg = t?.package ?? { debian: name, arch: name };
  return c(name, label, failIfMissing ? 'fail' : 'warn', `${name} not found${t ? ` — needed for ${t.purpose}` : ''}`, {
    debian: `sudo apt install ${pkg.debian}`,
    arch: `sudo pacman -S ${pkg.arch}`,
  });
}

function kvmCheck(host: HostInfo): PreflightCheck {
  const a = host.accelerator;
  if (a.kvmUsable) return c('kvm', 'KVM', 'ok', a.reason);
  const remedy = {
    debian: 'enable VT-x/AMD-V in the firmware, `sudo modprobe kvm_intel` (or kvm_amd), add yourself to the kvm group: `sudo adduser $USER kvm`',
    arch: 'enable VT-x/AMD-V in the firmware, `sudo modprobe kvm_intel` (or kvm_amd), `sudo usermod -aG kvm $USER`',
  };
  return c('kvm', 'KVM', a.kind === 'tcg' ? 'warn' : 'fail', a.reason, remedy);
}

function gpuChecks(facts: HostGpuFacts | undefined): PreflightCheck[] {
  if (!facts) return [c('iommu', 'IOMMU', 'warn', 'could not read sysfs')];
  const out: PreflightCheck[] = [];
  out.push(
    facts.iommu.enabled
      ? c('iommu', 'IOMMU', 'ok', `${facts.iommu.groups.size} IOMMU groups`)
      : c('iommu', 'IOMMU', 'warn', 'no IOMMU groups: GPU passthrough is impossible until the IOMMU is on', CMDLINE),
  );
  const vfio = ['vfio', 'vfio_iommu_type1', 'vfio_pci'].filter((m) => !facts.modules.has(m) && !(m === 'vfio_pci' && facts.drivers.has('vfio-pci')));
  out.push(
    vfio.length === 0
      ? c('vfio', 'VFIO modules', 'ok', 'vfio, vfio_iommu_type1 and vfio_pci are loaded')
      : c('vfio', 'VFIO modules', 'warn', `not loaded: ${vfio.join(', ')} (needed for GPU passthrough)`, {
          debian: '`sudo modprobe vfio-pci`; at boot: `echo vfio-pci | sudo tee /etc/modules-load.d/vfio.conf`',
          arch: '`sudo modprobe vfio-pci`; at boot: `echo vfio-pci | sudo tee /etc/modules-load.d/vfio.conf` (and add vfio_pci vfio vfio_iommu_type1 to MODULES in /etc/mkinitcpio.conf for early binding)',
        }),
  );
  const reserved = facts.hugepages.filter((h) => h.total > 0);
  out.push(
    reserved.length
      ? c('hugepages', 'Hugepages', 'ok', reserved.map((h) => `${h.free}/${h.total} free × ${h.sizeBytes / 1024 ** 2} MiB`).join(', '))
      : c('hugepages', 'Hugepages', 'warn', 'none reserved (optional: lowers latency for VMs with hugepages = true)', {
          debian: '`echo 4096 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages` (8 GiB), or `hugepages=4096` on the kernel command line',
          arch: '`echo 4096 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages` (8 GiB), or `vm.nr_hugepages = 4096` in /etc/sysctl.d/hugepages.conf',
        }),
  );
  return out;
}

function ovmfCheck(deps: PreflightDeps): PreflightCheck {
  const code = (deps.ovmfCode ?? OVMF_CODE).find((p) => existsSync(p));
  const vars = (deps.ovmfMsVars ?? OVMF_MS_VARS).find((p) => existsSync(p));
  const remedy = { debian: 'sudo apt install ovmf', arch: 'sudo pacman -S edk2-ovmf (then enroll Microsoft keys in the VM\'s vars, e.g. with virt-fw-vars)' };
  if (code && vars) return c('ovmf', 'OVMF Secure Boot', 'ok', `${code} + Microsoft-keyed vars ${vars}`);
  if (code) return c('ovmf', 'OVMF Secure Boot', 'warn', `${code} found but no vars with Microsoft keys enrolled: Windows 11 Secure Boot will not validate`, remedy);
  return c('ovmf', 'OVMF Secure Boot', 'warn', 'no Secure Boot OVMF firmware: UEFI/Windows 11 VMs cannot start (BIOS VMs still can)', remedy);
}

function runtimeChecks(host: HostInfo): PreflightCheck[] {
  const crun = host.tools.find((t) => t.name === 'crun');
  const runc = host.tools.find((t) => t.name === 'runc');
  const rt = crun?.found || runc?.found;
  const runtime = rt
    ? c('runtime', 'Capsule runtime', 'ok', [crun?.found ? `crun ${crun.version ?? ''}`.trim() : '', runc?.found ? `runc ${runc.version ?? ''}`.trim() : ''].filter(Boolean).join(', '))
    : c('runtime', 'Capsule runtime', 'fail', 'neither crun nor runc is installed: capsules cannot run', { debian: 'sudo apt install crun', arch: 'sudo pacman -S crun' });
  const g = host.cgroup;
  const cg =
    g.layout === 'v2'
      ? c('cgroups', 'Cgroups', 'ok', g.detail)
      : g.layout === 'none'
        ? c('cgroups', 'Cgroups', 'fail', g.detail, { debian: 'boot with systemd (cgroups mounted by default)', arch: 'boot with systemd (cgroups mounted by default)' })
        : c('cgroups', 'Cgroups', 'warn', `${g.layout}: ${g.detail} — Nova works around it; limits apply through cgroup v1`, {
            debian: 'switch to the unified hierarchy: add `systemd.unified_cgroup_hierarchy=1` to the kernel command line',
            arch: 'remove `systemd.unified_cgroup_hierarchy=0` from the kernel parameters (v2 is the default)',
          });
  return [runtime, cg];
}

/** One check per overlay driver: which way it runs here, or why not (never changes the host). */
async function overlayChecks(engine: EngineContext): Promise<PreflightCheck[]> {
  const all = (await engine.call('network.drivers', {})).drivers;
  return Object.entries(all).map(([name, s]) =>
    s.ok
      ? c(`overlay-${name}`, `Overlay driver ${name}`, 'ok', `${s.mode ? `${s.mode}: ` : ''}${s.reason}`)
      : c(`overlay-${name}`, `Overlay driver ${name}`, 'warn', s.reason, s.remedy ?? { debian: s.fix ?? 'use another overlay driver', arch: s.fix ?? 'use another overlay driver' }),
  );
}

export async function runPreflight(engine: EngineContext, deps: PreflightDeps = {}): Promise<PreflightReport> {
  const [host, facts] = await Promise.all([engine.host.info(), scanPci(engine.sysfsRoot).then((s) => s.host, () => undefined)]);
  const checks: PreflightCheck[] = [
    kvmCheck(host),
    ...gpuChecks(facts),
    toolCheck(host, 'qemu-system-x86_64', true, 'QEMU'),
    toolCheck(host, 'qemu-img', true),
    toolCheck(host, 'swtpm', false, 'swtpm (TPM 2.0)'),
    ovmfCheck(deps),
    ...runtimeChecks(host),
    ...(await rootlessChecks(defaultProbe(engine.env, host.cgroup))),
    toolCheck(host, 'skopeo', false),
    toolCheck(host, 'nft', false, 'nftables'),
    toolCheck(host, 'dnsmasq', false),
    toolCheck(host, 'tcpdump', false),
    ...(await overlayChecks(engine)),
    host.wayland.session
      ? c('wayland', 'Wayland session', 'ok', host.wayland.detail)
      : c('wayland', 'Wayland session', 'warn', `${host.wayland.detail}: the app runs headless only (use \`nova serve\` and a browser)`, {
          debian: 'log in to a Wayland session (GNOME, KDE Plasma, sway); packages: gnome-session or plasma-workspace-wayland',
          arch: 'log in to a Wayland session (GNOME, KDE Plasma, sway, Hyprland)',
        }),
    host.root
      ? c('privileges', 'Privileges', 'ok', 'running as root: host changes are done by this process')
      : c('privileges', 'Privileges', 'ok', 'your user: host changes go through nova privd, authorized by polkit (docs/privilege.md)'),
    ...(await Promise.all([helperCheck(engine.env), polkitCheck(engine.env), kvmAccessCheck()])),
  ];
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const ch of checks) counts[ch.status]++;
  return { ok: counts.fail === 0, counts, checks };
}
