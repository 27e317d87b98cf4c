// Several Nova hosts for real (#22), in one lab shared by every case (CI time: one set of
// namespaces, sshd, helpers and guests instead of one per file). Host A and host B are network
// namespaces on one underlay, each with its own `nova privd` (root steps) and an engine run as an
// unprivileged user (A: the `nova` CLI; B: `nova serve --socket` behind a real sshd, its user's
// shell nologin). A Nova switch joins both hosts with a VXLAN overlay; a third namespace (the
// peer) is plugged into A's side of it.
//
// Guest g (TCG, 128 MiB, a 64 MiB qcow2 disk with known data, on the switch) moves A → B over
// ssh: first a cancelled move (Ctrl-C) and a move whose process is killed -9 (B settles its
// attempt by itself once the lease runs out, `nova migrate recover` keeps the guest on A) leave it
// running on A with nothing on B; so does a switch-over whose target QEMU dies before the guest
// ran there (it fails within seconds and the guest resumes on A); then the real move: the guest's serial counter continues on B,
// data written before and during the move reads back identical there, downtime is reported, A
// keeps nothing, the guest keeps its MAC and IP, a TCP stream to the peer stays open with every
// line in order and pings are answered from B (losses and the longest silence measured, printed);
// its DHCP lease and DNS name are B's dnsmasq's now (same address, the name resolves there).
// Guest h (no network, UEFI + TPM, its disk an overlay on a store image both hosts have): a
// cancelled move leaves no swtpm and no variable store on B; moved paused over --transport tcp
// with only the top layer, its UEFI variables and TPM state (PCRs, one extended by the guest) are
// B's, A keeps neither. Last, B's events through a watching engine
// (host.event, host.state as B drops off the network and comes back).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectNode } from '../server/client.js';
import { QmpProtocol, withQmp } from '../core/vm/qmp/protocol.js';
import { describeHost } from './host.js';
import { sh } from './netns.js';
import type { LabHost } from './ssh-lab.js';
import { waitFor } from './wait.js';
import { counters, forwards, hmp, LEASE_MS, NET, PCR16_EXTEND, PCRS, serial, sha256, SINK, swtpms, TOOLS, XmigrateLab } from './xmigrate-lab.js';
import type { HostEvent } from './xmigrate-lab.js';

describeHost('several Nova hosts: live moves with disks and network between two host namespaces over SSH, remote events', { root: true, tools: TOOLS }, () => {
  const x = new XmigrateLab();
  const { lab, sw, seg, peerNs, peerIp, children, sinkLog, serialA, serialB, ok, exec } = x;
  let b: LabHost;
  let disk = '';
  let guestIp = '';

  const vmsOf = async (args: string[]) => (JSON.parse(await ok([...args, 'vm', 'ls', '--json'])) as { items: { name: string; state: string }[] }).items;
  const bHasNothing = async () => {
    expect(await vmsOf(['--host', 'b'])).toEqual([]);
    expect(readdirSync(join(b.novaHome, 'data', 'vms')).filter((f) => !f.startsWith('.'))).toEqual([]);
  };
  const aRunsOn = async () => {
    expect((await vmsOf([])).find((v) => v.name === 'g')?.state).toBe('running');
    const n = counters(serialA()).length;
    await waitFor('the counter goes on on A', () => counters(serialA()).length > n, 30_000, 50);
    expect(forwards()).toEqual([]);
    expect(existsSync(join(lab.localHome, 'data', 'xmigrate', 'g.json'))).toBe(false);
  };
  /** Starts a move and resolves once B has defined the incoming VM (the mirror is under way). */
  const startMove = async (extra: string[], vm = 'g') => {
    const p = lab.novaProcess(['migrate', 'vm', vm, '--to', 'b', ...extra]);
    let ended = '';
    void p.done.then((r) => (ended = `nova migrate exited ${r.code}: ${r.stderr}`));
    const up = () => {
      if (ended) throw new Error(ended);
      return existsSync(join(b.novaHome, 'data', 'vms', vm, 'incoming.json')) && existsSync(join(b.novaHome, 'run', 'vms', vm, 'qmp.sock')) && forwards().length > 0;
    };
    await waitFor('B defines the incoming VM and the ssh forward is up', up, 60_000, 20);
    return p;
  };
  /** Counter lines the peer received: [arrival ms, value]; 'closed' once the connection ended. */
  const sink = () => {
    const lines = existsSync(sinkLog) ? readFileSync(sinkLog, 'utf8').split('\n').filter(Boolean) : [];
    const rows = lines.map((l) => l.split(' ')).filter(([, v]) => /^\d+$/.test(v!)).map(([t, v]) => [Number(t), Number(v)] as const);
    return { rows, closed: lines.some((l) => l.endsWith(' closed')) };
  };

  beforeAll(async () => {
    await x.setUp();
    ({ b, disk, guestIp } = x);
  }, 400_000);

  afterAll(() => x.tearDown(), 180_000);

  it('a move cancelled mid-mirror (Ctrl-C) leaves the guest running on A and nothing on B', async () => {
    const p = await startMove(['--bandwidth', '2M']);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/cancel/i);
    await bHasNothing();
    await aRunsOn();
  }, 180_000);

  it('a move of the UEFI + TPM guest h cancelled (Ctrl-C) leaves no swtpm and no variable store on B; h runs on A with its own', async () => {
    await waitFor('h boots through OVMF (counter on A)', () => counters(serial(lab.localHome, 'h')).length >= 1, 120_000, 200);
    const p = await startMove(['--bandwidth', '2M'], 'h');
    // B made the attempt's swtpm and variable store (the mirror fills it).
    await waitFor('B\'s swtpm for h', () => swtpms(b.novaHome).length === 1, 20_000, 50);
    expect(existsSync(join(b.novaHome, 'data', 'vms', 'h', 'OVMF_VARS.fd'))).toBe(true);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/cancel/i);
    await waitFor('B\'s swtpm for h ends', () => swtpms(b.novaHome).length === 0, 20_000, 50);
    expect(await vmsOf(['--host', 'b'])).toEqual([]);
    expect(existsSync(join(b.novaHome, 'data', 'vms', 'h'))).toBe(false);
    expect((await vmsOf([])).find((v) => v.name === 'h')?.state).toBe('running');
    expect(swtpms(lab.localHome)).toHaveLength(1);
    expect(existsSync(join(lab.localHome, 'data', 'vms', 'h', 'OVMF_VARS.fd'))).toBe(true);
  }, 180_000);

  it('a move whose process is killed -9 mid-mirror: B removes its attempt by itself once the lease runs out; `nova migrate recover` keeps the guest on A', async () => {
    const p = await startMove(['--bandwidth', '2M']);
    p.child.kill('SIGKILL');
    await p.done;
    const killedAt = Date.now();
    // No recover yet: B notices that nobody renews the attempt (the orphaned forward still carries the mirror).
    await waitFor('B removes the abandoned attempt', async () => !existsSync(join(b.novaHome, 'data', 'vms', 'g')) && (await vmsOf(['--host', 'b'])).length === 0, LEASE_MS + 20_000, 200);
    console.log(`B removed the abandoned attempt ${Date.now() - killedAt} ms after the source was killed (lease ${LEASE_MS} ms)`);
    await bHasNothing();
    const r = await lab.nova(['migrate', 'recover', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { items: { outcome: string }[] }).items.map((x) => x.outcome)).toEqual(['kept-here']);
    await bHasNothing();
    await aRunsOn();
  }, 180_000);

  it('a switch-over whose target QEMU dies before the guest ran there fails within seconds, and the guest runs on A again (counter continuing, B has nothing)', async () => {
    // At pre-switchover B's engine is frozen (it cannot commit, so cannot resume the guest there);
    // once A reports the switch-over completed, B's QEMU holds the whole guest, paused (-S), and is killed.
    const events = await QmpProtocol.connect(join(lab.localHome, 'run', 'vms', 'g', 'qmpe.sock'));
    const serveB = b.servePid!;
    let frozen = false;
    const thaw = () => {
      if (frozen) process.kill(serveB, 'SIGCONT');
      frozen = false;
    };
    try {
      const completed = new Promise<string>((resolve) => events.on('event', (e) => {
        if (e.event !== 'MIGRATION') return;
        const status = String(e.data?.status);
        if (status === 'pre-switchover' && !frozen) {
          process.kill(serveB, 'SIGSTOP');
          frozen = true;
        }
        if (status === 'completed' || status === 'failed' || status === 'cancelled') resolve(status);
      }));
      const p = lab.novaProcess(['migrate', 'vm', 'g', '--to', 'b']);
      expect(await Promise.race([completed, p.done.then((r) => `nova migrate exited ${r.code}: ${r.stderr}`)])).toBe('completed');
      const qmpB = join(b.novaHome, 'run', 'vms', 'g', 'qmp.sock');
      const statusB = await waitFor('B\'s QEMU holds the whole guest', async () => {
        const st = await withQmp(qmpB, (q) => q.execute<{ status: string }>('query-status'), { greetingTimeoutMs: 3000 });
        return st.status === 'inmigrate' ? undefined : st.status;
      }, 20_000, 20);
      expect(statusB).toBe('paused'); // -S: it never ran there
      process.kill(Number(readFileSync(join(b.novaHome, 'run', 'vms', 'g', 'qemu', 'qemu.pid'), 'utf8')), 'SIGKILL');
      const killedAt = Date.now();
      thaw();
      const r = await p.done;
      const tookMs = Date.now() - killedAt;
      console.log(`switch-over to a target whose QEMU died: the move failed ${tookMs} ms after the kill: ${r.stderr.trim()}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/exited before the guest ran/);
      expect(r.stderr).toMatch(/runs on this host/);
      expect(tookMs).toBeLessThan(15_000);
      await bHasNothing();
      await aRunsOn();
    } finally {
      thaw();
      events.close();
    }
  }, 180_000);

  it('moves g to B over ssh with its disk: counter continues, data identical, downtime reported, A keeps nothing; same MAC and IP, the TCP stream goes on in order, pings answered from B', async () => {
    expect(guestIp.startsWith(`10.${NET}.${seg}.`)).toBe(true);
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
    const p = lab.novaProcess(['migrate', 'vm', 'g', '--to', 'b', '--bandwidth', '64M', '--json']);
    let ended = false;
    void p.done.then(() => (ended = true));
    await waitFor('B defines the incoming VM', () => ended || existsSync(join(b.novaHome, 'data', 'vms', 'g', 'incoming.json')), 60_000, 20);
    // Written while the mirror runs, through the guest's own disk node (the events monitor is free).
    const wrote = await hmp(join(lab.localHome, 'run', 'vms', 'g', 'qmpe.sock'), 'qemu-io disk0 "write -P 0x5c 16M 1M"').then(() => true, () => false);
    let lastOnA = 0;
    const poll = setInterval(() => (lastOnA = Math.max(lastOnA, ...counters(serialA()))), 50);
    const r = await p.done;
    clearInterval(poll);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { transport: string; totalMs: number; downtimeMs: number; diskBytes: number; removedDisks: string[] };
    const moveEnd = Date.now();
    expect(out.transport).toBe('ssh');
    expect(out.downtimeMs).toBeGreaterThan(0);
    expect(out.diskBytes).toBe(64 * 1024 ** 2);
    console.log(`cross-host migration over ssh: total ${out.totalMs} ms, downtime ${out.downtimeMs} ms (128 MiB TCG guest on a switch, 64 MiB qcow2)`);

    // B runs it, owns it, and the counter goes on from where A left it.
    expect((await vmsOf(['--host', 'b'])).map((v) => [v.name, v.state])).toEqual([['g', 'running']]);
    expect(existsSync(join(b.novaHome, 'data', 'vms', 'g', 'incoming.json'))).toBe(false);
    await waitFor('counter on B', () => counters(serialB()).length >= 2, 30_000, 50);
    const first = counters(serialB())[0]!;
    expect(first).toBeGreaterThan(1); // not a reboot
    expect(first).toBeLessThanOrEqual(lastOnA + 3);
    // The disk on B: what was written before and during the move.
    const qmpB = join(b.novaHome, 'run', 'vms', 'g', 'qmp.sock');
    for (const check of ['read -P 0xab 0 8M', 'read -P 0x5a 40M 16M', ...(wrote ? ['read -P 0x5c 16M 1M'] : []), 'read -P 0 32M 8M']) {
      expect(await hmp(qmpB, `qemu-io disk0 "${check}"`), check).not.toMatch(/fail|error/i);
    }
    expect(wrote).toBe(true);
    // A keeps nothing.
    expect((await vmsOf([])).map((v) => v.name)).toEqual(['h']);
    expect(out.removedDisks).toEqual([disk]);
    expect(existsSync(disk)).toBe(false);
    expect(forwards()).toEqual([]);
    expect(existsSync(join(lab.localHome, 'data', 'xmigrate', 'g.json'))).toBe(false);

    // Keep both streams going a while on B.
    await waitFor('counter lines from B for 3 s after the move', () => sink().rows.some(([t]) => t > moveEnd + 3000), 60_000, 200);
    const repliesAfter = await waitFor('pings answered after the move', () => {
      const seqs = [...pings.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
      return seqs.filter((s) => s * 100 > moveEnd - moveStart + 5000).length >= 5 ? seqs : undefined;
    }, 30_000, 200);
    ping.kill('SIGINT');
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
    console.log(`network continuity over the move: TCP stream open, ${values.length} values in order, longest silence ${gap} ms; pings ${lost}/${sent} lost, longest run ${seqGap} (${seqGap * 100} ms)`);
    // The guest runs on B with the same MAC and IP, and B's side of the switch reaches it directly.
    const onB = JSON.parse(await ok(['--host', 'b', '--json', 'vm', 'inspect', 'g'])) as { mac: string; state: string; nic: { kind: string } };
    expect([onB.state, onB.nic.kind, onB.mac]).toEqual(['running', 'tap', before.mac]);
    expect((await exec(['--host', 'b'], 'ip -4 -o addr show eth0')).stdout).toContain(`${guestIp}/`);
    expect(sh(['ip', 'netns', 'exec', b.ns, 'ping', '-c', '1', '-W', '2', guestIp], { allowFailure: true })).toContain('1 received');
    expect(gap).toBeLessThan(15_000);
    expect(lost).toBeLessThan(sent / 2);

    // Its DHCP lease and DNS name moved too: B's dnsmasq answers for g (the name from the peer,
    // across the overlay), and the guest's DHCP exchange gets the same address from B's dnsmasq
    // alone (A's keeps the address reserved, unserved).
    const { domain } = JSON.parse(await ok(['--host', 'b', '--json', 'net', 'inspect', sw])) as { domain: string };
    const gwB = `10.${NET}.${seg}.2`;
    const lookup = `const r=new (require('dns').promises.Resolver)({timeout:2000,tries:2});r.setServers([process.argv[1]]);r.resolve4(process.argv[2]).then((a)=>console.log(a.join(',')),(e)=>console.log('ERR '+e.code));`;
    expect(sh(['ip', 'netns', 'exec', peerNs, process.execPath, '-e', lookup, gwB, `g.${domain}`]).trim()).toBe(guestIp);
    const lease = await exec(['--host', 'b'], `printf '#!/bin/sh\\n[ "$1" = bound ] && echo "$ip $serverid" > /tmp/lease.out\\nexit 0\\n' > /tmp/lease.sh && chmod +x /tmp/lease.sh && rm -f /tmp/lease.out && udhcpc -i eth0 -n -q -t 5 -T 1 -s /tmp/lease.sh >/dev/null 2>&1; cat /tmp/lease.out`);
    console.log(`DHCP on B after the move: ${lease.stdout.trim()} (address before: ${guestIp})`);
    expect(lease.stdout.trim()).toBe(`${guestIp} ${gwB}`);
  }, 300_000);

  it('moves h (UEFI + TPM, paused) over --transport tcp (opt-in, clear text on B\'s address), its disk an overlay on a store image B has too: only the top layer moves (sync: top); its UEFI variables and TPM state (PCRs) are B\'s now, A keeps no swtpm and no variables', async () => {
    const storeB = join(b.novaHome, 'data', 'os-images', 'tbase');
    await waitFor('guest h counter on A', () => counters(serial(lab.localHome, 'h')).length >= 1, 120_000, 100);
    // The TPM's volatile state: PCR 16 extended by the guest (raw TPM2 command to /dev/tpm0); 0 and 7: OVMF's measurements at boot.
    const extend = await exec([], `exec 3<>/dev/tpm0 && printf '${PCR16_EXTEND}' >&3 && dd bs=64 count=1 <&3 2>/dev/null | od -An -tx1 | tr -d ' \\n'`, 'h');
    expect(extend.stdout, 'TPM2_PCR_Extend answers TPM_RC_SUCCESS').toMatch(/^80020000001300000000/);
    const pcrsA = (await exec([], PCRS, 'h')).stdout.trim();
    expect(pcrsA).toMatch(/^0 [0-9A-F]{64}\n7 [0-9A-F]{64}\n16 [0-9A-F]{64}$/);
    expect(pcrsA).not.toContain(`16 ${'0'.repeat(64)}`);
    // The variable store as OVMF left it (it writes variables at every boot): not the template any more.
    const varsA = join(lab.localHome, 'data', 'vms', 'h', 'OVMF_VARS.fd');
    const varsSha = sha256(varsA);
    expect(varsSha).not.toBe(sha256('/usr/share/OVMF/OVMF_VARS_4M.fd'));
    // The preflight says what moves besides the disk and RAM (B has the same OVMF build and swtpm).
    expect(await ok(['migrate', 'vm', 'h', '--to', 'b', '--check'])).toMatch(/preflight passed; besides disks and RAM it moves the UEFI variable store .* and the TPM state/);
    // Paused: B keeps it paused, so its variable store is the mirrored file (QEMU rewrites it from the guest's flash only when the guest runs).
    await ok(['vm', 'pause', 'h']);
    const r = await lab.nova(['migrate', 'vm', 'h', '--to', 'b', '--transport', 'tcp', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { transport: string; downtimeMs: number; totalMs: number; diskBytes: number };
    expect(out.transport).toBe('tcp');
    console.log(`cross-host migration over tcp, sync top: total ${out.totalMs} ms, downtime ${out.downtimeMs} ms, ${out.diskBytes} disk bytes (256 MiB TCG guest with UEFI + TPM, paused; 16 MiB overlay + its variable store)`);
    expect(out.diskBytes).toBeLessThan(4 * 1024 ** 2); // the 1 MiB top layer, not the 16 MiB disk
    const diskB = join(b.novaHome, 'data', 'vms', 'h', 'disk0.qcow2');
    expect((JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', diskB], { encoding: 'utf8' })) as { 'backing-filename'?: string })['backing-filename']).toBe(join(storeB, 'base.qcow2'));
    expect((await vmsOf(['--host', 'b'])).find((v) => v.name === 'h')?.state).toBe('paused');
    expect(sha256(join(b.novaHome, 'data', 'vms', 'h', 'OVMF_VARS.fd')), 'the variable store on B is A\'s').toBe(varsSha);
    // A keeps nothing of it: no QEMU, no swtpm, no variable store, no TPM state.
    expect(swtpms(lab.localHome)).toEqual([]);
    expect(existsSync(join(lab.localHome, 'data', 'vms', 'h'))).toBe(false);
    expect(swtpms(b.novaHome)).toHaveLength(1);
    await ok(['--host', 'b', 'vm', 'resume', 'h']);
    await waitFor('counter of h on B', () => counters(serial(b.novaHome, 'h')).length >= 1, 30_000, 50);
    // The TPM state came along into B's fresh swtpm: the same PCRs, the guest's extend included.
    expect((await exec(['--host', 'b'], PCRS, 'h')).stdout.trim()).toBe(pcrsA);
    expect(sha256(join(b.novaHome, 'data', 'vms', 'h', 'OVMF_VARS.fd'))).toBe(varsSha);
    for (const check of ['read -P 0x3c 0 4M', 'read -P 0x7e 8M 1M']) expect(await hmp(join(b.novaHome, 'run', 'vms', 'h', 'qmp.sock'), `qemu-io disk0 "${check}"`), check).not.toMatch(/fail|error/i);
    expect(existsSync(join(lab.localHome, 'h.qcow2'))).toBe(false);
    expect(forwards()).toEqual([]);
    await ok(['--host', 'b', 'vm', 'stop', 'h', '--force']);
  }, 180_000);

  // Last: while a `nova serve` of A's user runs, that user's `nova` commands go through it.
  it('remote events through the engine that watches them: a VM another client defines on B arrives as host.event; B dropping off the network and coming back arrive as host.state', async () => {
    const events: HostEvent[] = [];
    const states: { host: string; reachable: boolean; error?: string; at: number }[] = [];
    const kernel = join(b.novaHome, 'vmlinuz');
    writeFileSync(kernel, '');
    chownSync(kernel, lab.remote.uid, lab.remote.gid);
    const app = await lab.serveLocal();
    const client = await connectNode(app.url, app.token);
    try {
      client.on('host.event', (e) => events.push(e as HostEvent));
      client.on('host.state', (s) => states.push({ ...(s as { host: string; reachable: boolean; error?: string }), at: Date.now() }));
      // Someone watches the engine: it connects to B by itself and says so.
      await waitFor('host.state: b reachable', () => states.some((s) => s.host === 'b' && s.reachable), 30_000, 50);

      // Another client (the CLI, its own SSH connection) defines a VM on B: the watcher hears B's own events.
      const made = Date.now();
      await ok(['--host', 'b', 'vm', 'create', 'w', '--kernel', kernel, '--memory', '128Mi', '--network', 'none']);
      const seen = await waitFor('host.event: b resource.changed for w', () => events.find((e) => e.host === 'b' && e.event === 'resource.changed' && e.payload.name === 'w'), 15_000, 50);
      expect(seen.payload.state).toBe('stopped');
      console.log(`host.event for a VM defined on b: ${Date.now() - made} ms after the CLI started (incl. its own ssh connection)`);

      // B drops off the network: the kept connection's keep-alives notice, host.state says so with why.
      const cut = Date.now();
      lab.setLink(b, false);
      const down = await waitFor('host.state: b unreachable', () => states.find((s) => s.host === 'b' && !s.reachable && s.at >= cut), 30_000, 100);
      expect(down.error).toBeTruthy();
      console.log(`b unreachable after ${down.at - cut} ms: ${down.error}`);
      // The engine keeps answering meanwhile.
      expect((await app.call<{ items: unknown[] }>('host.list', { probe: false })).items).toHaveLength(1);

      // Back on the network: the engine reconnects by itself and events flow again.
      const healed = Date.now();
      lab.setLink(b, true);
      const up = await waitFor('host.state: b reachable again', () => states.find((s) => s.host === 'b' && s.reachable && s.at >= healed), 30_000, 100);
      console.log(`b reachable again ${up.at - healed} ms after its link came back`);
      await ok(['--host', 'b', 'vm', 'rm', 'w']);
      await waitFor('host.event: w deleted on b', () => events.find((e) => e.host === 'b' && e.event === 'resource.changed' && e.payload.name === 'w' && e.payload.state === 'deleted'), 15_000, 50);
    } finally {
      client.close();
      await app.stop();
    }
  }, 150_000);
});
