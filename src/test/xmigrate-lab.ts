// The lab of xmigrate.host.test.ts (#22): two Nova hosts in network namespaces on one underlay,
// each with its own `nova privd`; A driven by the `nova` CLI as an unprivileged user, B a
// `nova serve --socket` behind a real sshd; a VXLAN switch joining them with a peer namespace on
// A's side; guests g (on the switch, a qcow2 disk with known data) and h (UEFI + TPM, an overlay
// on a store image both hosts have), both booted. Kept apart from the cases so each file stays
// readable; the cases and their story are in the test file.
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { QmpProtocol } from '../core/vm/qmp/protocol.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from './guest.js';
import { sh } from './netns.js';
import { PrivdLab } from './privd.js';
import { SshLab } from './ssh-lab.js';
import type { LabHost } from './ssh-lab.js';
import { waitFor } from './wait.js';

/** B's lease on an incoming move (the shortest allowed: three renewals). */
export const LEASE_MS = 6000;
/** The lab's 10.NET.0.0/16 and its names' prefix (NOVA_LAB_NET / NOVA_LAB_PREFIX: parallel sessions each use their own). */
export const NET = Number(process.env.NOVA_LAB_NET ?? 114);
export const P = process.env.NOVA_LAB_PREFIX ?? 'nvh';
export const TOOLS = ['sshd', 'ssh', 'ssh-keyscan', 'setpriv', 'ip', 'bridge', 'dnsmasq', 'nft', 'ping', 'qemu-system-x86_64', 'qemu-img', 'qemu-io'];
export const SINK = `const fs=require('fs');const out=process.argv[1];require('net').createServer((s)=>{let b='';s.on('data',(d)=>{b+=d;let i;while((i=b.indexOf('\\n'))>=0){fs.appendFileSync(out,Date.now()+' '+b.slice(0,i)+'\\n');b=b.slice(i+1);}});s.on('close',()=>fs.appendFileSync(out,Date.now()+' closed\\n'));}).listen(7000,()=>fs.appendFileSync(out,'0 listening\\n'));`;

export const counters = (log: string) => (existsSync(log) ? [...readFileSync(log, 'utf8').matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1])) : []);

export async function hmp(sock: string, line: string): Promise<string> {
  const q = await QmpProtocol.connect(sock);
  try {
    return await q.execute<string>('human-monitor-command', { 'command-line': line });
  } finally {
    q.close();
  }
}

/** swtpm processes of VMs under a Nova home (their state folder is <home>/data/vms/NAME/tpm). */
export const swtpms = (home: string) => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('swtpm ') && l.includes(`${home}/data/vms/`));
export const sha256 = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
/** TPM2_PCR_Extend of PCR 16 (sha256 bank, password session) with 32 bytes of 0x11, as octal escapes for the guest's busybox printf. */
export const PCR16_EXTEND = [0x80, 0x02, 0, 0, 0, 0x41, 0, 0, 0x01, 0x82, 0, 0, 0, 0x10, 0, 0, 0, 0x09, 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x0b, ...Array<number>(32).fill(0x11)]
  .map((x) => `\\${x.toString(8).padStart(3, '0')}`).join('');
export const PCRS = 'for n in 0 7 16; do echo "$n $(cat /sys/class/tpm/tpm0/pcr-sha256/$n)"; done';

/** ssh processes still forwarding a migration's sockets (`xm-<id>`). */
export const forwards = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('ssh ') && l.includes('/xm-'));

export interface HostEvent {
  host: string;
  event: string;
  payload: { name?: string; state?: string };
}

export const serial = (home: string, vm: string) => join(home, 'data', 'vms', vm, 'serial.log');

export class XmigrateLab {
  readonly lab = new SshLab({ prefix: P, net: NET, underlay: true, serveEnv: { NOVA_XMIGRATE_LEASE_MS: String(LEASE_MS) } });
  readonly privdA = new PrivdLab(this.lab.localNs!);
  readonly privdB = new PrivdLab(`${P}-b-${this.lab.id}`);
  readonly group = `${P}g${this.lab.id}`;
  /** The overlay's 10.NET.seg.0/24 (the underlay is another /24 of the lab). */
  readonly seg = 120 + Math.floor(Math.random() * 100);
  readonly sw = `${P}s${this.lab.id}`;
  readonly peerNs = `${P}-p-${this.lab.id}`;
  readonly peerIp = `10.${NET}.${this.seg}.250`;
  readonly children: ChildProcess[] = [];
  readonly sinkLog = join(this.lab.dir, 'sink.log');
  b!: LabHost;
  disk = '';
  guestIp = '';

  constructor() {
    this.lab.localEnv.NOVA_PRIVD_SOCKET = this.privdA.sock;
    this.lab.serveEnv.NOVA_PRIVD_SOCKET = this.privdB.sock;
  }

  serialA = () => serial(this.lab.localHome, 'g');
  serialB = () => serial(this.b.novaHome, 'g');

  ok = async (args: string[]) => {
    const r = await this.lab.nova(args);
    if (r.code !== 0) throw new Error(`nova ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  exec = async (host: string[], cmd: string, vm = 'g') => {
    const r = await this.lab.nova([...host, '--json', 'vm', 'exec', vm, '--', 'sh', '-c', cmd]);
    return r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as { exitCode: number; stdout: string }) : { exitCode: -1, stdout: r.stderr };
  };

  /** Hosts, privds, the switch and its peer, both guests booted (g with its DHCP lease and agent). */
  async setUp(): Promise<void> {
    this.lab.setup();
    execFileSync('groupadd', [this.group]);
    for (const u of [this.lab.local, this.lab.remote]) execFileSync('usermod', ['-aG', this.group, u.name]);
    const guest = ensureTestGuest();
    await this.privdA.start(['--group', this.group]);
    this.b = await this.lab.addHost('b');
    await this.privdB.start(['--group', this.group]);
    await this.ok(['host', 'add', 'b', this.b.url, '--fingerprint', this.lab.fingerprint(this.b)]);

    // One L2 segment on both hosts: a vxlan overlay each side, peers by underlay address, DHCP ranges apart.
    await this.ok(['--json', 'net', 'create', this.sw, '--type', 'overlay', '--driver', 'vxlan', '--subnet', `10.${NET}.${this.seg}.1/24`, '--dhcp-range', `10.${NET}.${this.seg}.50-10.${NET}.${this.seg}.99`, '--local', this.lab.localAddress!, '--peer', this.b.address, ]);
    await this.ok(['--host', 'b', '--json', 'net', 'create', this.sw, '--type', 'overlay', '--driver', 'vxlan', '--subnet', `10.${NET}.${this.seg}.2/24`, '--dhcp-range', `10.${NET}.${this.seg}.100-10.${NET}.${this.seg}.149`, '--local', this.b.address, '--peer', this.lab.localAddress!, ]);
    // The third party: a namespace plugged into A's bridge of the switch.
    const bridges = JSON.parse(sh(['ip', '-n', this.lab.localNs!, '-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string }[];
    expect(bridges).toHaveLength(1);
    this.lab.net.add(this.peerNs);
    this.lab.net.link(this.peerNs, 'eth0', `${this.peerIp}/24`, this.lab.localNs!, `${P}p${this.lab.id}`, undefined);
    sh(['ip', '-n', this.lab.localNs!, 'link', 'set', `${P}p${this.lab.id}`, 'master', bridges[0]!.ifname]);

    // Boot files: in the user's folder on A, in the target's storage pool on B (found there by name).
    const g = await guest;
    const bootA = join(this.lab.localHome, 'boot');
    const poolB = join(this.b.novaHome, 'data', 'storage');
    for (const d of [bootA, poolB]) mkdirSync(d, { recursive: true });
    for (const f of [g.kernel, g.initrd]) {
      copyFileSync(f, join(bootA, f.split('/').pop()!));
      copyFileSync(f, join(poolB, f.split('/').pop()!));
    }
    this.disk = join(this.lab.localHome, 'g.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', this.disk, '64M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 8M', '-c', 'write -P 0x5a 40M 16M', this.disk], { stdio: 'ignore' });
    // h: an overlay on an OS image both hosts' stores have (<data>/os-images/NAME, image.json with its checksum).
    const storeA = join(this.lab.localHome, 'data', 'os-images', 'tbase');
    const storeB = join(this.b.novaHome, 'data', 'os-images', 'tbase');
    for (const d of [storeA, storeB]) mkdirSync(d, { recursive: true });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(storeA, 'base.qcow2'), '16M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x3c 0 4M', join(storeA, 'base.qcow2')], { stdio: 'ignore' });
    copyFileSync(join(storeA, 'base.qcow2'), join(storeB, 'base.qcow2'));
    const sha = execFileSync('sha256sum', [join(storeA, 'base.qcow2')], { encoding: 'utf8' }).split(' ')[0]!;
    const meta = { name: 'tbase', file: 'base.qcow2', format: 'qcow2', source: 'test', sizeBytes: statSync(join(storeA, 'base.qcow2')).size, checksum: { algorithm: 'sha256', value: sha }, signature: { checked: false, note: 'test' }, pulledAt: 0 };
    for (const d of [storeA, storeB]) writeFileSync(join(d, 'image.json'), JSON.stringify(meta));
    const diskH = join(this.lab.localHome, 'h.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(storeA, 'base.qcow2'), '-F', 'qcow2', diskH, '16M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x7e 8M 1M', diskH], { stdio: 'ignore' });
    execFileSync('chown', ['-R', `${this.lab.local.uid}:${this.lab.local.gid}`, bootA, this.disk, diskH, join(this.lab.localHome, 'data')]);
    execFileSync('chown', ['-R', `${this.lab.remote.uid}:${this.lab.remote.gid}`, join(this.b.novaHome, 'data')]);
    chownSync(this.lab.localHome, this.lab.local.uid, this.lab.local.gid);
    const boot = ['--kernel', join(bootA, 'vmlinuz'), '--initrd', join(bootA, 'initrd.gz'), '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi'];
    await this.ok(['vm', 'create', 'g', '--image', this.disk, ...boot, '--network', this.sw]);
    // h boots with UEFI (OVMF, its own variable store) and a TPM 2.0 (swtpm), as a Windows 11 VM
    // would (without Secure Boot: the test kernel is not signed by Microsoft's keys). OVMF needs
    // 256 MiB here (it faults at 128). The CLI has no flags for firmware and tpm, and a NovaFile VM
    // cannot say network "none": its definition gets the two lines a NovaFile would have.
    await this.ok(['vm', 'create', 'h', '--image', diskH, ...boot.slice(0, -1), '256Mi', '--network', 'none']);
    const recH = join(this.lab.localHome, 'data', 'vms', 'h', 'vm.json');
    const defH = JSON.parse(readFileSync(recH, 'utf8')) as { spec: Record<string, unknown> };
    writeFileSync(recH, JSON.stringify({ ...defH, spec: { ...defH.spec, firmware: 'uefi', tpm: true } }));
    // Both boot at once (TCG: the boots are the slow part of this lab).
    await Promise.all([this.ok(['vm', 'start', 'g']), this.ok(['vm', 'start', 'h'])]);
    this.guestIp = await waitFor('the guest\'s DHCP lease', () => (existsSync(this.serialA()) ? new RegExp(`nova-net: eth0 (10\\.${NET}\\.\\d+\\.\\d+)/`).exec(readFileSync(this.serialA(), 'utf8'))?.[1] : undefined), 120_000, 250);
    await waitFor('the guest agent', async () => (await this.exec([], 'true')).exitCode === 0, 120_000, 500);
  }

  /** Everything of the lab goes, each step bounded: a hung engine must not keep namespaces or users. */
  async tearDown(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    const within = (args: string[]) => {
      const p = this.lab.novaProcess(args);
      const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
      return p.done.finally(() => clearTimeout(t));
    };
    if (this.lab.local) {
      for (const host of [['--host', 'b'], []]) {
        for (const vm of ['g', 'h']) {
          await within([...host, 'vm', 'stop', vm, '--force']);
          await within([...host, 'vm', 'rm', vm]);
        }
        await within([...host, 'net', 'rm', this.sw, '--force']);
      }
    }
    for (const p of [this.privdA, this.privdB]) p.stop();
    this.lab.cleanup();
    this.lab.net.cleanup([this.privdA.dir, this.privdB.dir]);
    for (const p of [this.privdA, this.privdB]) p.cleanup();
    execFileSync('groupdel', [this.group], { stdio: 'ignore' });
  }
}
