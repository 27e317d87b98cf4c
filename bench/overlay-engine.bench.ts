// Encrypted overlays as Nova makes them (engine, bridge, VXLAN over WireGuard or the QUIC TAP, guest NICs) against the bare underlay, same run: two "hosts" (network namespaces on a
// veth underlay), each with its own engine and a guest namespace on the overlay's switch. iperf3
// (TCP, guest → guest over the overlay; host → host over the underlay) and ping RTT, interleaved
// (ABBA), plus the tunnel process's CPU seconds per GB carried. One row set per driver this host
// can run (wireguard; quic once its driver is built in).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../src/core/engine.js';
import { overlaySupport } from '../src/core/network/overlay/index.js';
import { segmentAddress } from '../src/core/network/overlay/quic/names.js';
import { DEFAULT_VNI } from '../src/core/network/overlay/vxlan.js';
import { createRunner } from '../src/core/sys/runner.js';
import { tempHome } from '../src/test/host.js';
import type { TempHome } from '../src/test/host.js';
import { NetnsLab, inNs, sh, suffix } from '../src/test/netns.js';
import { interleave, runsOr, spreadFields, spreadOf } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const N = runsOr(5);
/** Sub-ms figures: 15 interleaved pairs of 20-ping medians (bench/README's rule for figures under 100 ms). */
const RTT_RUNS = runsOr(15);
const SECONDS = Number(process.env.NOVA_BENCH_IPERF_SECONDS) || 4;
const round = (n: number) => Math.round(n * 100) / 100;

interface Side {
  ns: string;
  guest: string;
  ul: string;
  home: TempHome;
  engine: Engine;
  key?: string;
  ip?: string;
}

/** iperf3 client in `from` to a one-off server in `to` at `ip`: Mb/s received. */
function iperf(from: string, to: string, ip: string, lab: NetnsLab): number {
  const pid = lab.spawn(to, ['iperf3', '-s', '-1', '-B', ip, '-p', '5201']);
  for (let i = 0; i < 50 && inNs(to, ['ss', '-Htln', 'sport = :5201']).trim() === ''; i++) execFileSync('sleep', ['0.1']);
  const out = inNs(from, ['iperf3', '-c', ip, '-p', '5201', '-t', String(SECONDS), '-J'], { timeout: (SECONDS + 20) * 1000 });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* exited after its one client */
  }
  return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
}

/** Median RTT (ms) of `count` pings. */
function rtt(from: string, ip: string, count = 20): number {
  const out = inNs(from, ['busybox', 'ping', '-c', String(count), '-i', '0.05', ip], { timeout: 30_000 });
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return spreadOf(times).median;
}

/** B's address on the tunnel, from its identity: wireguard's tunnel ULA, quic's name address on B's bridge. */
async function tunnelAddressOf(driver: 'wireguard' | 'quic', b: Side, ov: string): Promise<string> {
  const vni = DEFAULT_VNI(ov);
  return driver === 'wireguard' ? (await b.engine.dispatcher.invoke('network.inspect', { name: ov })).overlay!.tunnelAddress! : segmentAddress(vni, b.key!);
}

/** The wireguard-go processes a side's engine started (their pid files). */
function wgPids(s: Side): number[] {
  const dir = join(s.home.dir, 'run', 'networks', 'wireguard');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(dir, f), 'utf8'))).filter((p) => existsSync(`/proc/${p}`)) : [];
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function benchDriver(driver: 'wireguard' | 'quic', lab: NetnsLab, sides: [Side, Side], ov: string, o: number): Promise<BenchResult[]> {
  const [a, b] = sides;
  const spec = (i: number, peers: string[]) => ({ type: 'overlay' as const, driver, subnet: `10.118.${o}.${i}/24`, dns: false, peers });
  for (const [i, s] of sides.entries()) s.key = (await s.engine.dispatcher.invoke('network.create', { name: ov, spec: spec(i + 1, []) })).overlay?.identity;
  const port = driver === 'wireguard' ? 51820 : 4433;
  for (const [i, s] of sides.entries()) {
    const other = sides[1 - i]!;
    await s.engine.dispatcher.invoke('network.update', { name: ov, spec: spec(i + 1, [`${other.key}@${other.ul}:${port}`]) });
    s.ip = (await s.engine.dispatcher.invoke('network.attach', { network: ov, owner: { kind: 'capsule', name: `g${i}` }, netns: `/run/netns/${s.guest}` })).ip;
  }
  for (let i = 0; i < 100 && inNs(a.guest, ['busybox', 'ping', '-c', '1', '-W', '1', b.ip!], { allowFailure: true }).startsWith('__FAILED__'); i++);
  const tunnelPids = driver === 'wireguard' ? sides.flatMap(wgPids) : sh(['pgrep', '-f', 'nova-quic-tunnel'], { allowFailure: true }).split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const cpu0 = tunnelPids.reduce((t, p) => t + cpuSeconds(p), 0);
  let carriedMb = 0;
  const tput = await interleave(() => {
    const v = iperf(a.guest, b.guest, b.ip!, lab);
    carriedMb += v * SECONDS;
    return v;
  }, () => iperf(a.ns, b.ns, b.ul, lab), N);
  const cpu = tunnelPids.reduce((t, p) => t + cpuSeconds(p), 0) - cpu0;
  // What the engine's path adds over the tunnel alone, measured in the same rounds: host A → B's
  // address on the tunnel (wireguard: its tunnel ULA, no bridge or VXLAN; quic: B's name address
  // on its bridge, through both bridges but no guest veth), alternating with guest → guest.
  const inner = await tunnelAddressOf(driver, b, ov);
  const alone: number[] = [];
  let k = 0;
  const guestAndTunnel = () => {
    const tunnelFirst = k++ % 2 === 0;
    const t = tunnelFirst ? rtt(a.ns, inner) : 0;
    const g = rtt(a.guest, b.ip!);
    alone.push(tunnelFirst ? t : rtt(a.ns, inner));
    return g;
  };
  const rt = await interleave(guestAndTunnel, () => rtt(a.ns, b.ul), RTT_RUNS);
  const rAlone = spreadOf(alone.slice(-RTT_RUNS)); // after interleave's warm-up round
  const [over, bare] = [spreadOf(tput.a), spreadOf(tput.b)];
  const [rOver, rBare] = [spreadOf(rt.a), spreadOf(rt.b)];
  const gb = carriedMb / 8 / 1000;
  const mode = (await a.engine.dispatcher.invoke('network.inspect', { name: ov })).overlay?.mode ?? driver;
  for (const s of sides) await s.engine.dispatcher.invoke('network.rm', { name: ov, force: true });
  return [
    {
      name: `overlay-engine-${driver}-throughput`,
      metric: `iperf3 TCP guest→guest over ${driver} (${mode}) vs host→host on the bare underlay, ${SECONDS} s each (median of ${N}, interleaved)`,
      unit: 'Mb/s', value: round(over.median), baseline: round(bare.median), ratio: round(over.median / bare.median),
      goal: driver === 'quic' ? '>= 0.25x bare and >= 1.5x wireguard-go' : 'report (the quic goal is measured against it)',
      ...(driver === 'quic' ? { met: over.median / bare.median >= 0.25 } : {}),
      ...spreadFields(over, bare),
    },
    {
      name: `overlay-engine-${driver}-rtt`,
      metric: `ping RTT guest→guest over ${driver} vs host→host on the underlay (median of ${RTT_RUNS} medians of 20 pings, interleaved)`,
      unit: 'ms', value: round(rOver.median), baseline: round(rBare.median), ratio: round(rOver.median / rBare.median),
      goal: 'added <= 0.5 ms', met: rOver.median - rBare.median <= 0.5, ...spreadFields(rOver, rBare),
      notes: `added ${round(rOver.median - rBare.median)} ms: the tunnel alone (host → ${driver === 'wireguard' ? 'tunnel address' : 'far bridge'}) ${round(rAlone.median)} ms (+${round(rAlone.median - rBare.median)}), the engine's path on top (${driver === 'wireguard' ? 'bridges, VXLAN, ' : ''}guest veths) +${round(rOver.median - rAlone.median)} ms`,
    },
    {
      name: `overlay-engine-${driver}-cpu`,
      metric: `tunnel process CPU seconds per GB carried (${tunnelPids.length ? `${tunnelPids.length} processes` : 'kernel: not measurable per process'})`,
      unit: 's/GB', value: round(tunnelPids.length && gb ? cpu / gb : 0), baseline: null, ratio: null, goal: 'report',
      notes: `${round(gb)} GB carried, ${round(cpu)} CPU s in both hosts' tunnel processes`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const support = await overlaySupport((argv, opts) => createRunner().run(argv, opts));
  const drivers = (['wireguard', 'quic'] as const).filter((d) => support[d].ok);
  const lab = new NetnsLab();
  const sfx = suffix();
  const u = 10 + Math.floor(Math.random() * 200);
  const sides: Side[] = [];
  try {
    for (const i of [1, 2]) {
      const ns = lab.add(`nwgbh${i}-${sfx}`);
      const guest = lab.add(`nwgbg${i}-${sfx}`);
      const home = await tempHome(`nwgb${i}-`);
      sides.push({ ns, guest, ul: `10.118.${u}.${i}`, home, engine: home.engine({ env: { ...home.env, NOVA_NETNS: ns } }) });
    }
    lab.link(sides[0]!.ns, 'ul0', `10.118.${u}.1/24`, sides[1]!.ns, 'ul0', `10.118.${u}.2/24`);
    const out: BenchResult[] = [];
    for (const [k, d] of drivers.entries()) {
      const ov = `b${sfx.slice(0, 4)}${k}`;
      // One driver failing (a stale helper build) still leaves the other's figures.
      try {
        out.push(...(await benchDriver(d, lab, sides as [Side, Side], ov, u + 1 + k)));
      } catch (e) {
        process.stderr.write(`  overlay-engine ${d}: ${(e as Error).message}\n`);
        for (const s of sides) await s.engine.dispatcher.invoke('network.rm', { name: ov, force: true }).catch(() => undefined);
      }
    }
    for (const r of out) await saveResult(r);
    return out;
  } finally {
    for (const pid of sides.flatMap(wgPids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    lab.cleanup(sides.map((s) => s.home.dir));
    for (const s of sides) await s.home.cleanup();
  }
}
