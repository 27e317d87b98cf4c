// The pure QEMU config builder: resolved VM + host facts → labelled argv sections. No I/O, no
// clocks, no randomness: identical input renders identical argv (golden-tested).
import { GPU_LAB_CPU_FLAGS, HYPERV_FLAGS, vmFeatures } from './features.js';
import { SANDBOX } from '../confine.js';
import { HOTPLUG_SPARE_PORTS, hotplugPortId, nicIds } from '../qmp/hotplug.js';
import type { ConfigSection, ExtraNic, HostFacts, ResolvedDisk, ResolvedNic, ResolvedShare, VmBuildInput, VmConfig } from './types.js';

export const QEMU_BINARY = 'qemu-system-x86_64';
const MiB = 1024 * 1024;

/** QEMU keyval values: a comma inside a value is written as two commas. */
export const kv = (v: string): string => v.replaceAll(',', ',,');

export function buildVmConfig(vm: VmBuildInput, host: HostFacts): VmConfig {
  const f = vmFeatures(vm.spec);
  const sections: ConfigSection[] = [];
  const add = (name: string, ...args: string[]) => {
    if (args.length) sections.push({ name, args });
  };

  add('identity', '-name', `${kv(vm.name)},debug-threads=on`, '-uuid', vm.uuid, '-nodefaults', '-no-user-config', '-msg', 'timestamp=on');
  // A confined QEMU may not fork (spawn=deny), so Nova detaches it instead of -daemonize, its
  // output sent to the log. A daemonized one sends its stderr to /dev/null, unless -D names a log:
  // then its errors go there, also those after it detached (why a running VM went away).
  add('process', ...(host.runAs ? [] : ['-daemonize', '-D', vm.layout.qemuLog]), '-pidfile', vm.layout.pidfile, '-display', 'none');
  if (host.runAs) add('confinement', '-sandbox', SANDBOX, '-runas', host.runAs);
  add('qmp', '-qmp', `unix:${kv(vm.layout.qmp)},server=on,wait=off`, '-qmp', `unix:${kv(vm.layout.qmpEvents)},server=on,wait=off`);

  const machine = ['q35', `smm=${f.secureBoot ? 'on' : 'off'}`, 'vmport=off'];
  if (f.windows) machine.push('hpet=off');
  if (f.uefi) machine.push('pflash0=fw-code', 'pflash1=fw-vars');
  // virtiofsd maps the guest's RAM: it must be shared memory (hugepages already are).
  const sharedRam = (vm.shares ?? []).some((x) => x.driver === 'virtiofs');
  if (vm.spec.hugepages || sharedRam) machine.push('memory-backend=mem0');
  add('machine', '-machine', machine.join(','), '-accel', host.accel);
  add('cpu', ...cpuArgs(vm, host, f.windows, f.gpuLab));

  const mib = Math.ceil(vm.spec.memory / MiB);
  const memory = ['-m', `${mib}M`];
  if (vm.spec.hugepages) {
    memory.push('-object', `memory-backend-file,id=mem0,size=${mib}M,mem-path=/dev/hugepages,share=on,prealloc=on`);
  } else if (sharedRam) {
    memory.push('-object', `memory-backend-memfd,id=mem0,size=${mib}M,share=on`);
  }
  add('memory', ...memory);

  if (f.uefi) {
    const code = f.secureBoot ? host.ovmf.secbootCode : host.ovmf.code;
    const fw = [
      '-blockdev', `driver=file,filename=${kv(code)},node-name=fw-code-file,read-only=on`,
      '-blockdev', 'driver=raw,file=fw-code-file,node-name=fw-code,read-only=on',
      '-blockdev', `driver=file,filename=${kv(vm.layout.varsFile)},node-name=fw-vars-file`,
      '-blockdev', 'driver=raw,file=fw-vars-file,node-name=fw-vars',
    ];
    if (f.secureBoot) fw.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    add('firmware', ...fw);
  }
  if (f.windows) {
    add('windows', '-global', 'ICH9-LPC.disable_s3=1', '-global', 'ICH9-LPC.disable_s4=1', '-rtc', 'base=localtime,driftfix=slew');
  }
  if (f.tpm) {
    add('tpm', '-chardev', `socket,id=chrtpm,path=${kv(vm.layout.tpmSocket)}`, '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm', '-device', 'tpm-crb,tpmdev=tpm0');
  }
  // A socket for the in-app terminal; the logfile keeps every byte the guest writes, client or not.
  add('serial', '-chardev', `socket,id=serial0,path=${kv(vm.layout.serialSocket)},server=on,wait=off,logfile=${kv(vm.layout.serialLog)},logappend=on`, '-serial', 'chardev:serial0');
  // The guest agent channel on every VM: a guest that runs qemu-ga opens it, others ignore it.
  add('guest-agent', '-chardev', `socket,id=qga0,path=${kv(vm.layout.qgaSocket)},server=on,wait=off`,
    '-device', 'virtio-serial-pci,id=vserial0', '-device', 'virtserialport,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0');
  // Clipboard over the VNC console: QEMU's own spice-vdagent peer on the port spice-vdagent opens
  // (no pointer: usb-tablet already gives absolute coordinates).
  if (vm.spec.clipboard) add('clipboard', '-chardev', 'qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off', '-device', 'virtserialport,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0');
  // VNC on a unix socket in the VM's 0700 runtime folder only: no TCP port any local user (or a
  // web page, QEMU checks no Origin) could reach. Nova's server proxies it for the in-app console.
  // virtio-vga takes a VNC client's SetDesktopSize to the guest's driver (the console follows its
  // window); standard VGA has fixed modes and QEMU refuses the request (the console scales).
  add('console', '-device', `${f.display === 'virtio' ? 'virtio-vga' : 'VGA'},id=video0`, '-vnc', `unix:${kv(vm.layout.vncSocket)}`);
  if (!vm.kernel) add('input', '-device', 'qemu-xhci,id=xhci0', '-device', 'usb-tablet,id=tablet0,bus=xhci0.0');
  else if (vm.usb?.length) add('usb-controller', '-device', 'qemu-xhci,id=xhci0');

  const cdFirst = Boolean(vm.cdFirst && vm.isos.length);
  add('disks', ...vm.disks.flatMap((d, i) => diskArgs(d, i, vm.disks.slice(0, i).filter((x) => x.bus === 'sata').length, cdFirst ? vm.isos.length : 0)));
  add('cdroms', ...vm.isos.flatMap((iso, i) => cdromArgs(iso, i, vm.disks, cdFirst)));
  if (vm.seed) add('cloud-init-seed', ...seedArgs(vm.seed, vm.isos.length, vm.disks, f.windows));
  if (vm.kernel) {
    const boot = ['-kernel', vm.kernel];
    if (vm.initrd) boot.push('-initrd', vm.initrd);
    if (vm.spec.cmdline !== undefined) boot.push('-append', vm.spec.cmdline);
    add('direct-kernel-boot', ...boot);
  }
  add('network', ...nicArgs(vm.nic, f.windows, host), ...(vm.moreNics ?? []).flatMap((n, i) => nicArgs(n, f.windows, host, i + 1)));
  if (vm.spec.balloon) add('balloon', '-device', 'virtio-balloon-pci,id=balloon0,deflate-on-oom=on,free-page-reporting=on');
  add('rng', '-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0,id=rng0-dev');
  add('shares', ...(vm.shares ?? []).flatMap(shareArgs));
  add('usb', ...(vm.usb ?? []).flatMap((u) => ['-device', `usb-host,id=${u.qdevId},bus=xhci0.0,hostbus=${u.bus},hostport=${u.port.slice(u.port.indexOf('-') + 1)}`]));
  add('vfio', ...vfioArgs(vm.vfio));
  if (vm.vfio.length && vm.pciMmio64Mb && f.uefi) add('vfio-mmio', '-fw_cfg', `name=opt/ovmf/X-PciMmio64Mb,string=${vm.pciMmio64Mb}`);
  // Last, so that adding it moved no existing device's PCI address (guests keep their NIC names).
  add('hotplug', ...hotplugArgs(vm.extraNics ?? [], f.windows, host));
  // incomingPaused (-S): the guest stays paused once it is here, until the target's commit resumes it
  // (and records that first): a failed cross-host switch-over can then resume the source safely.
  if (vm.incoming) add('incoming', ...(vm.incomingPaused ? ['-S'] : []), '-incoming', 'defer');
  return { binary: QEMU_BINARY, sections };
}

function cpuArgs(vm: VmBuildInput, host: HostFacts, windows: boolean, gpuLab: boolean): string[] {
  const model = host.accel === 'kvm' ? ['host'] : ['max'];
  // Hyper-V enlightenments are KVM features; TCG rejects some of them, so only KVM gets them.
  if (windows && host.accel === 'kvm') model.push(...HYPERV_FLAGS, ...(gpuLab ? GPU_LAB_CPU_FLAGS : []));
  return ['-cpu', model.join(','), '-smp', `${vm.spec.cpu},sockets=1,cores=${vm.spec.cpu},threads=1`];
}

function diskArgs(d: ResolvedDisk, i: number, sataIndex: number, bootAfter = 0): string[] {
  const ro = d.readonly ? ',read-only=on' : '';
  const args = [
    '-blockdev', `driver=file,filename=${kv(d.path)},node-name=${d.node}-file,discard=unmap${ro}`,
    '-blockdev', `driver=${d.format},file=${d.node}-file,node-name=${d.node},discard=unmap${ro}`,
  ];
  const boot = `bootindex=${bootAfter + i + 1}`;
  if (d.bus === 'virtio') args.push('-device', `virtio-blk-pci,drive=${d.node},id=${d.node}-dev,${boot}`);
  else if (d.bus === 'nvme') args.push('-device', `nvme,drive=${d.node},id=${d.node}-dev,serial=nova${i},${boot}`);
  else args.push('-device', `ide-hd,drive=${d.node},id=${d.node}-dev,bus=ide.${sataIndex},${boot}`);
  return args;
}

function cdromArgs(iso: string, i: number, disks: ResolvedDisk[], first = false): string[] {
  // q35's AHCI has six ports (ide.0-5); SATA disks take the first ones.
  const sata = disks.filter((d) => d.bus === 'sata').length;
  return [
    '-blockdev', `driver=file,filename=${kv(iso)},node-name=cd${i}-file,read-only=on`,
    '-blockdev', `driver=raw,file=cd${i}-file,node-name=cd${i},read-only=on`,
    '-device', `ide-cd,drive=cd${i},id=cd${i}-dev,bus=ide.${sata + i},bootindex=${(first ? 0 : disks.length) + i + 1}`,
  ];
}

/**
 * A switch narrower than 1500 (an overlay: the tunnel's headers must fit the underlay) tells the
 * guest through virtio-net's host_mtu (VIRTIO_NET_F_MTU: the guest driver sets the NIC's MTU);
 * other models have no such feature and rely on DHCP's interface-mtu option.
 */
export function hostMtu(model: string, mtu: number | undefined): string {
  return mtu && mtu !== 1500 && model === 'virtio-net-pci' ? `,host_mtu=${mtu}` : '';
}

/** The seed: a read-only virtio disk that never boots (Windows, without virtio drivers yet: a CD). */
function seedArgs(iso: string, cds: number, disks: ResolvedDisk[], windows: boolean): string[] {
  if (windows) return cdromArgs(iso, cds, disks).map((a) => a.replace(/,bootindex=\d+$/, '')).map((a) => a.replaceAll(`cd${cds}`, 'seed0'));
  return [
    '-blockdev', `driver=file,filename=${kv(iso)},node-name=seed0-file,read-only=on`,
    '-blockdev', `driver=raw,file=seed0-file,node-name=seed0,read-only=on`,
    '-device', 'virtio-blk-pci,drive=seed0,id=seed0-dev,serial=cidata',
  ];
}

function nicArgs(nic: ResolvedNic, windows: boolean, host: HostFacts, index = 0): string[] {
  if (nic.kind === 'none') return [];
  // Windows has no virtio-net driver until virtio-win is installed: e1000e works out of the box.
  const model = nic.device ?? (windows ? 'e1000e' : 'virtio-net-pci');
  const device = ['-device', `${model},netdev=net${index},id=nic${index},mac=${nic.mac}${nic.kind === 'tap' ? hostMtu(model, nic.mtu) : ''}`];
  if (nic.kind === 'tap') {
    const vhost = host.accel === 'kvm' ? ',vhost=on' : '';
    return ['-netdev', `tap,id=net${index},ifname=${nic.ifname},script=no,downscript=no${vhost}`, ...device];
  }
  const fwd = nic.ports.map((p) => `,hostfwd=${p.protocol}:${p.hostIp ?? ''}:${p.hostPort}-:${p.guestPort}`).join('');
  return ['-netdev', `user,id=net${index}${fwd}`, ...device];
}

function shareArgs(s: ResolvedShare, i: number): string[] {
  if (s.driver === 'virtiofs') {
    return ['-chardev', `socket,id=fs${i},path=${kv(s.socket!)}`, '-device', `vhost-user-fs-pci,chardev=fs${i},tag=${s.tag},queue-size=1024,id=fs${i}-dev`];
  }
  // security_model=none: files are created as QEMU's user (an ordinary user's own files), no xattrs needed.
  return ['-fsdev', `local,id=fsdev${i},path=${kv(s.host)},security_model=none${s.readonly ? ',readonly=on' : ''}`, '-device', `virtio-9p-pci,fsdev=fsdev${i},mount_tag=${s.tag},id=fs${i}-dev`];
}

/**
 * PCIe root ports for hot-plug (q35's pcie.0 takes no hot-plugged devices): one per extra NIC,
 * which sits behind its own port so it can be unplugged live, plus spares for `vm.nic.attach`.
 */
function hotplugArgs(extras: ExtraNic[], windows: boolean, host: HostFacts): string[] {
  const model = windows ? 'e1000e' : 'virtio-net-pci';
  const vhost = host.accel === 'kvm' ? ',vhost=on' : '';
  const args: string[] = [];
  const ports = extras.length + HOTPLUG_SPARE_PORTS;
  for (let i = 0; i < ports; i++) args.push('-device', `pcie-root-port,id=${hotplugPortId(i)},chassis=1,slot=${i + 1},bus=pcie.0`);
  extras.forEach((n, i) => {
    const ids = nicIds(n.network);
    args.push('-netdev', `tap,id=${ids.netdev},ifname=${n.ifname},script=no,downscript=no${vhost}`, '-device', `${model},netdev=${ids.netdev},id=${ids.device},mac=${n.mac}${hostMtu(model, n.mtu)},bus=${hotplugPortId(i)}`);
  });
  return args;
}

/**
 * VFIO: functions of one physical device (GPU + its HDMI audio) stay together as one
 * multifunction device behind their own PCIe root port, the way the guest driver expects.
 */
function vfioArgs(addresses: string[]): string[] {
  const byDevice = new Map<string, string[]>();
  for (const a of [...addresses].sort()) {
    const dev = a.slice(0, a.lastIndexOf('.'));
    byDevice.set(dev, [...(byDevice.get(dev) ?? []), a]);
  }
  const args: string[] = [];
  [...byDevice.values()].forEach((fns, n) => {
    const port = `vfio-rp${n}`;
    args.push('-device', `pcie-root-port,id=${port},chassis=${n + 10},slot=${n},bus=pcie.0`);
    fns.forEach((addr, k) => {
      const fn = addr.slice(addr.lastIndexOf('.') + 1);
      const multi = k === 0 && fns.length > 1 ? ',multifunction=on' : '';
      args.push('-device', `vfio-pci,host=${addr},id=hostdev${n}-${k},bus=${port},addr=0x0.${fn}${multi}`);
    });
  });
  return args;
}

/** The argv QEMU is started with: binary first, sections in order. */
export function renderArgv(config: VmConfig): string[] {
  return [config.binary, ...config.sections.flatMap((s) => s.args)];
}

/** Human/golden rendering: one section per block, one option and its value per line. */
export function renderText(config: VmConfig): string {
  const lines: string[] = [config.binary];
  for (const s of config.sections) {
    lines.push(`# ${s.name}`);
    for (let i = 0; i < s.args.length; i++) {
      const a = s.args[i]!;
      const next = s.args[i + 1];
      if (a.startsWith('-') && next !== undefined && !next.startsWith('-')) {
        lines.push(`${a} ${next}`);
        i++;
      } else lines.push(a);
    }
  }
  return `${lines.join('\n')}\n`;
}
