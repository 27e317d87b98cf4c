// Network session continuity across a live move between hosts (#22): host A and host B are both
// network namespaces on one underlay, each with its own `nova privd` (root steps) and an engine run
// as an unprivileged user (A: the `nova` CLI; B: `nova serve --socket` behind a real sshd). The
// user joins a Nova switch on both hosts with a VXLAN overlay; a TCG guest on A's side of it
// streams a counter over TCP to a peer in a third namespace (plugged into A's switch), which also
// pings it every 100 ms. The guest moves to B over ssh: the TCP connection stays open with every
// counter line in order, the guest keeps its MAC and IP, and pings are answered from B. Lost pings
// and the longest silence of the TCP stream are measured and printed.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from './guest.js';
import { describeHost } from './host.js';
import { sh } from './netns.js';
import { PrivdLab } from './privd.js';
import { SshLab } from './ssh-lab.js';
import type { LabHost } from './ssh-lab.js';
import { waitFor } from './wait.js';

const TOOLS = ['sshd', 'ssh', 'setpriv', 'ip', 'bridge', 'dnsmasq', 'nft', 'ping', 'qemu-system-x86_64', 'qemu-img'];
const SINK = `const fs=require('fs');const out=process.argv[1];require('net').createServer((s)=>{let b='';s.on('data',(d)=>{b+=d;let i;while((i=b.indexOf('\\n'))>=0){fs.appendFileSync(out,Date.now()+' '+b.slice(0,i)+'\\n');b=b.slice(i+1);}});s.on('close',()=>fs.appendFileSync(out,Date.now()+' closed\\n'));}).listen(7000,()=>fs.appendFileSync(out,'0 listening\\n'));`;

describeHost('a live move between two host namespaces keeps the guest on its switch: same IP, open TCP connection, pings answered', { root: true, tools: TOOLS }, () => {
  const lab = new SshLab({ prefix: 'nho', net: 115, underlay: true });
  const privdA = new PrivdLab(lab.localNs!);
  const privdB = new PrivdLab(`nho-b-${lab.id}`);
  lab.localEnv.NOVA_PRIVD_SOCKET = privdA.sock;
  const group = `nhog${lab.id}`;
  const seg = 120 + Math.floor(Math.random() * 100); // the overlay's 10.115.seg.0/24 (the underlay is another /24 of the lab)
  const sw = `nhs${lab.id}`;
  const peerNs = `nho-p-${lab.id}`;
  const peerIp = `10.115.${seg}.250`;
  const children: ChildProcess[] = [];
  let b: LabHost;
  let guestIp = '';
  const sinkLog = join(lab.dir, 'sink.log');
  const pingLog = join(lab.dir, 'ping.log');
  const serialA = () => join(lab.localHome, 'data', 'vms', 'g', 'serial.log');

  const ok = async (args: string[]) => {
    const r = await lab.nova(args);
    if (r.code !== 0) throw new Error(`nova ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const exec = async (host: string[], cmd: string) => {
    const r = await lab.nova([...host, '--json', 'vm', 'exec', 'g', '--', 'sh', '-c', cmd]);
    return r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as { exitCode: number; stdout: string }) : { exitCode: -1, stdout: r.stderr };
  };
  /** Counter lines the peer received: [arrival ms, value]; 'closed' once the connection ended. */
  const sink = () => {
    const lines = existsSync(sinkLog) ? readFileSync(sinkLog, 'utf8').split('\n').filter(Boolean) : [];
    const rows = lines.map((l) => l.split(' ')).filter(([, v]) => /^\d+$/.test(v!)).map(([t, v]) => [Number(t), Number(v)] as const);
    return { rows, closed: lines.some((l) => l.endsWith(' closed')) };
  };

  beforeAll(async () => {
    lab.setup();
    execFileSync('groupadd', [group]);
    for (const u of [lab.local, lab.remote]) execFileSync('usermod', ['-aG', group, u.name]);
    await privdA.start(['--group', group]);
    // B's engine reaches B's helper; B's namespace (named as addHost names it) exists once added.
    (lab as unknown as { serveEnv: Record<string, string> }).serveEnv.NOVA_PRIVD_SOCKET = privdB.sock;
    b = await lab.addHost('b');
    await privdB.start(['--group', group]);
    await ok(['host', 'add', 'b', b.url, '--fingerprint', lab.fingerprint(b)]);

    // One L2 segment on both hosts: a vxlan overlay each side, peers by underlay address, DHCP ranges apart.
    await ok(['--json', 'net', 'create', sw, '--type', 'overlay', '--driver', 'vxlan', '--subnet', `10.115.${seg}.1/24`, '--dhcp-range', `10.115.${seg}.50-10.115.${seg}.99`, '--local', lab.localAddress!, '--peer', b.address, '--no-dns']);
    await ok(['--host', 'b', '--json', 'net', 'create', sw, '--type', 'overlay', '--driver', 'vxlan', '--subnet', `10.115.${seg}.2/24`, '--dhcp-range', `10.115.${seg}.100-10.115.${seg}.149`, '--local', b.address, '--peer', lab.localAddress!, '--no-dns']);
    // The third party: a namespace plugged into A's bridge of the switch.
    const bridges = JSON.parse(sh(['ip', '-n', lab.localNs!, '-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string }[];
    expect(bridges).toHaveLength(1);
    lab.net.add(peerNs);
    lab.net.link(peerNs, 'eth0', `${peerIp}/24`, lab.localNs!, `nhop${lab.id}`, undefined);
    sh(['ip', '-n', lab.localNs!, 'link', 'set', `nhop${lab.id}`, 'master', bridges[0]!.ifname]);

    const g = await ensureTestGuest();
    const bootA = join(lab.localHome, 'boot');
    const poolB = join(b.novaHome, 'data', 'storage');
    for (const d of [bootA, poolB]) mkdirSync(d, { recursive: true });
    for (const f of [g.kernel, g.initrd]) {
      copyFileSync(f, join(bootA, f.split('/').pop()!));
      copyFileSync(f, join(poolB, f.split('/').pop()!));
    }
    const disk = join(lab.localHome, 'g.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    execFileSync('chown', ['-R', `${lab.local.uid}:${lab.local.gid}`, bootA, disk]);
    execFileSync('chown', ['-R', `${lab.remote.uid}:${lab.remote.gid}`, join(b.novaHome, 'data')]);
    chownSync(lab.localHome, lab.local.uid, lab.local.gid);
    await ok(['vm', 'create', 'g', '--image', disk, '--kernel', join(bootA, 'vmlinuz'), '--initrd', join(bootA, 'initrd.gz'), '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--network', sw]);
    await ok(['vm', 'start', 'g']);
    guestIp = await waitFor('the guest\'s DHCP lease', () => (existsSync(serialA()) ? /nova-net: eth0 (10\.115\.\d+\.\d+)\//.exec(readFileSync(serialA(), 'utf8'))?.[1] : undefined), 120_000, 500);
    await waitFor('the guest agent', async () => (await exec([], 'true')).exitCode === 0, 120_000, 1000);
  }, 400_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    // Each step bounded: a hung engine must not keep the lab (namespaces, users) from going.
    const within = (args: string[]) => {
      const p = lab.novaProcess(args);
      const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
      return p.done.finally(() => clearTimeout(t));
    };
    if (lab.local) {
      for (const host of [['--host', 'b'], []]) {
        await within([...host, 'vm', 'stop', 'g', '--force']);
        await within([...host, 'vm', 'rm', 'g']);
        await within([...host, 'net', 'rm', sw, '--force']);
      }
    }
    for (const p of [privdA, privdB]) p.stop();
    lab.cleanup();
    lab.net.cleanup([privdA.dir, privdB.dir]);
    for (const p of [privdA, privdB]) p.cleanup();
    execFileSync('groupdel', [group], { stdio: 'ignore' });
  }, 180_000);

  it('moves the guest to B over ssh: same MAC and IP, the TCP stream goes on in order, pings answered from B (losses measured)', async () => {
    expect(guestIp.startsWith(`10.115.${seg}.`)).toBe(true);
    const sinkP = spawn('ip', ['netns', 'exec', peerNs, process.execPath, '-e', SINK, sinkLog], { stdio: 'ignore' });
    children.push(sinkP);
    await waitFor('the peer listens', () => existsSync(sinkLog) && readFileSync(sinkLog, 'utf8').includes('listening'), 20_000);
    // The guest opens the connection and writes a counter every 100 ms (busybox nc, detached from the agent).
    const start = await exec([], `setsid sh -c '(i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done) | nc ${peerIp} 7000' </dev/null >/dev/null 2>&1 &`);
    expect(start.exitCode, start.stdout).toBe(0);
    await waitFor('counter lines at the peer', () => sink().rows.length >= 10, 30_000, 200);
    const ping = spawn('ip', ['netns', 'exec', peerNs, 'ping', '-n', '-i', '0.1', '-W', '1', guestIp], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(ping);
    let pings = '';
    ping.stdout!.on('data', (d: Buffer) => (pings += d.toString()));
    await waitFor('pings answered on A', () => (pings.match(/bytes from/g) ?? []).length >= 5, 30_000, 200);
    const before = JSON.parse(await ok(['--json', 'vm', 'inspect', 'g'])) as { mac: string; nic: { kind: string } };
    expect(before.nic.kind).toBe('tap');

    const moveStart = Date.now();
    const r = await lab.nova(['migrate', 'vm', 'g', '--to', 'b', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const moved = JSON.parse(r.stdout) as { totalMs: number; downtimeMs: number };
    const moveEnd = Date.now();
    // Keep both streams going a while on B.
    await waitFor('counter lines from B for 3 s after the move', () => sink().rows.some(([t]) => t > moveEnd + 3000), 60_000, 200);
    const repliesAfter = await waitFor('pings answered after the move', () => {
      const seqs = [...pings.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
      return seqs.filter((s) => s * 100 > moveEnd - moveStart + 5000).length >= 5 ? seqs : undefined;
    }, 30_000, 200);
    ping.kill('SIGINT');
    writeFileSync(pingLog, pings);

    // The TCP connection never closed and carried every value once, in order.
    const { rows, closed } = sink();
    expect(closed).toBe(false);
    const values = rows.map(([, v]) => v);
    expect(values).toEqual(values.map((_, i) => values[0]! + i));
    let gap = 0;
    for (let i = 1; i < rows.length; i++) gap = Math.max(gap, rows[i]![0] - rows[i - 1]![0]);
    // Pings: every 100 ms from the first; lost = sent in the window and never answered.
    const seqs = [...new Set(repliesAfter)].sort((x, y) => x - y);
    const sent = seqs[seqs.length - 1]! - seqs[0]! + 1;
    const lost = sent - seqs.length;
    let seqGap = 0;
    for (let i = 1; i < seqs.length; i++) seqGap = Math.max(seqGap, seqs[i]! - seqs[i - 1]! - 1);
    console.log(`network continuity over the move (total ${moved.totalMs} ms, downtime ${moved.downtimeMs} ms): TCP stream open, ${values.length} values in order, longest silence ${gap} ms; pings ${lost}/${sent} lost, longest run ${seqGap} (${seqGap * 100} ms)`);

    // The guest runs on B with the same MAC and IP, and B's side of the switch reaches it directly.
    const onB = JSON.parse(await ok(['--host', 'b', '--json', 'vm', 'inspect', 'g'])) as { mac: string; state: string; nic: { kind: string } };
    expect([onB.state, onB.nic.kind, onB.mac]).toEqual(['running', 'tap', before.mac]);
    expect((await exec(['--host', 'b'], 'ip -4 -o addr show eth0')).stdout).toContain(`${guestIp}/`);
    expect(sh(['ip', 'netns', 'exec', b.ns, 'ping', '-c', '1', '-W', '2', guestIp], { allowFailure: true })).toContain('1 received');
    expect((await lab.nova(['vm', 'ls', '--json'])).stdout).not.toContain('"g"');
    expect(gap).toBeLessThan(15_000);
    expect(lost).toBeLessThan(sent / 2);
  }, 300_000);
});
