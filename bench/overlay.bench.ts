// Encrypted overlays (#18): TCP throughput (iperf3, 5 s) and ping RTT between two netns "hosts"
// over (1) the bare veth underlay, (2) nova-quic-tunnel's TAPs, (3) wireguard-go when installed,
// all in the same run on the same underlay, plus the quic tunnel's CPU seconds per GB carried.
// The tunnels run standalone (the engine's driver adds no per-packet work: it only starts them).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureOverlayTls } from '../src/core/network/overlay/quic/certs.js';
import { startTunnel } from '../src/core/network/overlay/quic/helper.js';
import type { Tunnel } from '../src/core/network/overlay/quic/helper.js';
import { createRunner } from '../src/core/sys/runner.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const sfx = Math.random().toString(16).slice(2, 8);
const A = `nqb-a-${sfx}`;
const B = `nqb-b-${sfx}`;
const SECONDS = Number(process.env.NOVA_BENCH_SECONDS ?? 5);
const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, argv: string[]) => sh(['ip', 'netns', 'exec', ns, ...argv]);
const has = (t: string) => {
  try {
    sh(['sh', '-c', 'command -v "$1"', 'sh', t]);
    return true;
  } catch {
    return false;
  }
};

function lab(): void {
  for (const ns of [A, B]) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh(['ip', '-n', A, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', B]);
  for (const [ns, ip] of [[A, '10.119.30.1'], [B, '10.119.30.2']] as const) {
    sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0']);
    sh(['ip', '-n', ns, 'link', 'set', 'ul0', 'up']);
  }
}

/** iperf3 A → B for SECONDS; Mb/s received. */
function iperf(to: string): number {
  const server = spawn('ip', ['netns', 'exec', B, 'iperf3', '-s', '-1', '-B', to], { stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      try {
        const out = JSON.parse(inNs(A, ['iperf3', '-J', '-c', to, '-t', String(SECONDS)])) as { end: { sum_received: { bits_per_second: number } } };
        return out.end.sum_received.bits_per_second / 1e6;
      } catch (e) {
        if (i > 20) throw e;
        execFileSync('sleep', ['0.2']);
      }
    }
  } finally {
    server.kill();
  }
}

/** Median ping RTT A → B in ms over 40 echoes. */
function rtt(to: string): number {
  const out = inNs(A, ['ping', '-c', '40', '-i', '0.05', '-W', '1', to]);
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (USER_HZ 100)
};

async function quic(dir: string): Promise<Tunnel[]> {
  const run = createRunner().run;
  const [ta, tb] = [await ensureOverlayTls(run, join(dir, 'a'), 'bench'), await ensureOverlayTls(run, join(dir, 'b'), 'bench')];
  const tunnels: Tunnel[] = [];
  for (const [ns, me, peer, tls, ptls, ip] of [[A, 'a', 'b', ta, tb, '10.119.31.1'], [B, 'b', 'a', tb, ta, '10.119.31.2']] as const) {
    sh(['ip', '-n', ns, 'tuntap', 'add', 'dev', 'nqbq', 'mode', 'tap']);
    const t = await startTunnel(
      { name: me, listen: `${ns === A ? '10.119.30.1' : '10.119.30.2'}:7500`, tap: 'nqbq', underlay_mtu: 1500, ca: tls.ca, cert: tls.cert, key: tls.key, peers: [{ name: peer, endpoint: `${ns === A ? '10.119.30.2' : '10.119.30.1'}:7500`, fingerprint: ptls.fingerprint }] },
      ['ip', 'netns', 'exec', ns],
    );
    sh(['ip', '-n', ns, 'link', 'set', 'nqbq', 'mtu', String(t.ready.tap_mtu), 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'nqbq']);
    tunnels.push(t);
  }
  await tunnels[0]!.waitFor((e) => e.event === 'peer' && e.state === 'up', 20_000, 'the quic link');
  return tunnels;
}

function wireguard(dir: string): number[] {
  const keys = [A, B].map(() => {
    const priv = sh(['wg', 'genkey']).trim();
    return { priv, pub: execFileSync('wg', ['pubkey'], { input: priv, encoding: 'utf8' }).trim() };
  });
  const pids: number[] = [];
  for (const [i, ns] of [A, B].entries()) {
    const dev = `nqbw${sfx}${i}`;
    const child = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '-f', dev], { stdio: 'ignore', env: { ...process.env, WG_PROCESS_FOREGROUND: '1' } });
    pids.push(child.pid!);
    for (let n = 0; n < 100 && inNs(ns, ['ip', 'link']).indexOf(dev) < 0; n++) execFileSync('sleep', ['0.1']);
    const keyFile = join(dir, `wg${i}.key`);
    execFileSync('sh', ['-c', 'umask 077; cat > "$1"', 'sh', keyFile], { input: keys[i]!.priv });
    const peer = keys[1 - i]!.pub;
    inNs(ns, ['wg', 'set', dev, 'private-key', keyFile, 'listen-port', '51900', 'peer', peer, 'endpoint', `10.119.30.${2 - i}:51900`, 'allowed-ips', `10.119.32.${2 - i}/32`]);
    sh(['ip', '-n', ns, 'addr', 'add', `10.119.32.${i + 1}/24`, 'dev', dev]);
    sh(['ip', '-n', ns, 'link', 'set', dev, 'mtu', '1420', 'up']);
  }
  return pids;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nqb-'));
  const tunnels: Tunnel[] = [];
  let wgPids: number[] = [];
  try {
    lab();
    const bare = { mbps: iperf('10.119.30.2'), rtt: rtt('10.119.30.2') };
    tunnels.push(...(await quic(dir)));
    const cpu0 = tunnels.map((t) => cpuSeconds(t.pid));
    const q = { mbps: iperf('10.119.31.2'), rtt: 0 };
    const cpu = tunnels.reduce((s, t, i) => s + cpuSeconds(t.pid) - cpu0[i]!, 0);
    q.rtt = rtt('10.119.31.2');
    const gb = (q.mbps * SECONDS) / 8 / 1000;
    let wg: { mbps: number; rtt: number } | undefined;
    if (has('wireguard-go') && has('wg')) {
      wgPids = wireguard(dir);
      wg = { mbps: iperf('10.119.32.2'), rtt: rtt('10.119.32.2') };
    }
    const out: BenchResult[] = [
      { name: 'overlay-quic-throughput', metric: `iperf3 TCP over nova-quic-tunnel vs the bare veth underlay (${SECONDS} s each, same run)`, unit: 'Mb/s', value: q.mbps, baseline: bare.mbps, ratio: q.mbps / bare.mbps, goal: '>= 0.25x', met: q.mbps / bare.mbps >= 0.25 },
      { name: 'overlay-quic-rtt-added', metric: 'median ping RTT over the quic tunnel minus the bare underlay (40 echoes)', unit: 'ms', value: q.rtt - bare.rtt, baseline: bare.rtt, ratio: null, goal: '<= 0.5 ms', met: q.rtt - bare.rtt <= 0.5 },
      { name: 'overlay-quic-cpu', metric: 'CPU seconds of both tunnel processes per GB carried (iperf3 run)', unit: 's/GB', value: cpu / gb, baseline: null, ratio: null, goal: 'report' },
    ];
    if (wg) {
      out.push({ name: 'overlay-quic-vs-wireguard-go', metric: 'iperf3 TCP over nova-quic-tunnel vs wireguard-go (same underlay, same run)', unit: 'Mb/s', value: q.mbps, baseline: wg.mbps, ratio: q.mbps / wg.mbps, goal: '>= 1.5x', met: q.mbps / wg.mbps >= 1.5, notes: `wireguard-go RTT median ${wg.rtt} ms` });
    }
    for (const r of out) await saveResult(r);
    return out;
  } finally {
    for (const t of tunnels) t.child.kill('SIGKILL');
    for (const p of wgPids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // A killed wireguard-go leaves its control socket; the folder is shared by every namespace.
    if (wgPids.length) for (const i of [0, 1]) rmSync(`/var/run/wireguard/nqbw${sfx}${i}.sock`, { force: true });
    for (const ns of [A, B]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
