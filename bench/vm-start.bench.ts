// VM benches on the shared TCG test guest, each against the raw tool in the same run:
// - vm-start: Nova's vm.start (command → QMP "running") vs raw qemu with the identical argv
//   (spawn → QMP "running"), interleaved (ABBA), ratio of medians (goal ≤ 1.05);
// - vm-snapshot-save / vm-snapshot-load: vm.snapshot.* vs the same QMP jobs sent raw, on the same
//   running guest, interleaved (which side saves first alternates every pair);
// - vm-ls-cold: a cold `nova ls` process with a running VM vs a bare `node -e 0`, interleaved
//   (goal from the performance issue: ≤ 1.5x).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { pidAlive, readPidFile } from '../src/core/sys/proc.js';
import { queryStatus, quit, snapshotDelete, snapshotLoad, snapshotSave } from '../src/core/vm/qmp/commands.js';
import { withQmp } from '../src/core/vm/qmp/protocol.js';
import { waitForExit } from '../src/core/vm/process.js';
import { layoutOf } from '../src/core/vm/store.js';
import type { RuntimeInfo } from '../src/core/vm/store.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(15);
const SNAPSHOT_RUNS = runsOr(15);
const LS_RUNS = runsOr(15);
const root = join(import.meta.dirname, '..');

function runQemu(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), (err, _o, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve())));
}

/**
 * The raw start of the identical argv, the way QEMU is meant to be run with it: a daemonizing
 * argv returns when the parent exits; a confined one (no `-daemonize`: it may not fork) is spawned
 * detached, as a user would with `setsid`. Either way, timed until QMP answers "running".
 */
async function rawStart(argv: string[], pidfile: string, qmp: string): Promise<number> {
  const t = performance.now();
  let exited: number | null | undefined;
  let stderr = '';
  if (argv.includes('-daemonize')) await runQemu(argv);
  else {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => (exited = code));
    child.unref();
  }
  for (;;) {
    const st = await withQmp(qmp, queryStatus).catch(() => undefined);
    if (st?.status === 'running') return performance.now() - t;
    if (st) throw new Error(`raw qemu reports ${st.status}`);
    if (exited !== undefined) throw new Error(`raw qemu exited (${exited}) before QMP answered: ${stderr.trim() || 'no message'} (pidfile ${pidfile})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rawStop(pidfile: string, qmp: string): Promise<void> {
  const pid = await readPidFile(pidfile);
  await withQmp(qmp, quit).catch(() => undefined);
  if (pid) await waitForExit(pid, 5000);
  if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
}

export async function run(): Promise<BenchResult[]> {
  const guest = await ensureTestGuest();
  const home = await mkdtemp(join(tmpdir(), 'nova-bvm-'));
  const env = { ...process.env, NOVA_HOME: home };
  const engine = createEngine({ env, paths: resolvePaths(env) });
  const inv = (m: string, i: unknown) => engine.dispatcher.invoke(m, i);
  const results: BenchResult[] = [];
  const rawDir = join(home, 'raw');
  try {
    // The guest's cache folder is outside Nova's roots: allow it as a user would.
    await inv('prefs.set', { key: 'allowedRoots', value: [dirname(guest.kernel)] });
    await inv('vm.create', { name: 'b', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: join(home, 'b.qcow2'), size: '64Mi' }] } });
    await inv('vm.list', {}); // warm up: the accelerator probe is per boot, not per start
    let argv: string[] = [];
    const l = layoutOf(engine.paths, 'b');
    const swap = (a: string) => a.replaceAll(join(home, 'run', 'vms', 'b'), rawDir);
    await mkdir(rawDir, { recursive: true });
    const novaRun = async () => {
      const ms = await timed(() => inv('vm.start', { name: 'b' }));
      argv = (JSON.parse(await readFile(l.runtimeInfo, 'utf8')) as RuntimeInfo).argv;
      await inv('vm.stop', { name: 'b', force: true });
      return ms;
    };
    // The raw run: identical argv, its own pidfile/sockets so nothing is shared with Nova's run.
    const rawRun = async () => {
      const rawArgv = argv.map(swap);
      // The run folder's subfolders (qemu/, …) as Nova makes them before a start.
      const under = new RegExp(`${rawDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^,]*`, 'g');
      for (const p of rawArgv.flatMap((a) => a.match(under) ?? [])) await mkdir(dirname(p), { recursive: true });
      const ms = await rawStart(rawArgv, swap(l.pidfile), swap(l.qmp));
      await rawStop(swap(l.pidfile), swap(l.qmp));
      return ms;
    };
    // The first pair (Nova first) warms up (page cache, JIT) and records the argv the raw side reuses.
    const starts = await interleave(novaRun, rawRun, RUNS);
    const n = spreadOf(starts.a);
    const rw = spreadOf(starts.b);
    const r = n.median / rw.median;
    results.push(await saveResult({ name: 'vm-start', metric: `VM start to QMP running: Nova vs raw qemu, same argv (median of ${RUNS}, interleaved)`, unit: 'ms', value: n.median, baseline: rw.median, ratio: r, goal: '<= 1.05x', met: r <= 1.05, ...spreadFields(n, rw) }));

    // Snapshots on a running guest: Nova's procedures vs the raw QMP jobs on the same VM; each
    // side saves then loads its own tag, and which side goes first alternates.
    await inv('vm.start', { name: 'b' });
    await new Promise((res) => setTimeout(res, 3000));
    const load: number[] = [], rawLoad: number[] = [];
    let k = 0;
    const novaSnap = async () => {
      const tag = `n${k++}`;
      const ms = await timed(() => inv('vm.snapshot.create', { name: 'b', tag }));
      load.push(await timed(() => inv('vm.snapshot.restore', { name: 'b', tag })));
      await inv('vm.snapshot.delete', { name: 'b', tag });
      return ms;
    };
    const rawSnap = async () => {
      const tag = `r${k++}`;
      const ms = await timed(() => withQmp(l.qmp, (q) => snapshotSave(q, tag, 'disk0', ['disk0'])));
      rawLoad.push(await timed(() => withQmp(l.qmp, (q) => snapshotLoad(q, tag, 'disk0', ['disk0']))));
      await withQmp(l.qmp, (q) => snapshotDelete(q, tag, ['disk0']));
      return ms;
    };
    const saves = await interleave(novaSnap, rawSnap, SNAPSHOT_RUNS);
    // Drop the warm-up pair's loads too, so both series cover the same runs as the saves.
    load.shift();
    rawLoad.shift();
    for (const [name, a, b] of [['vm-snapshot-save', saves.a, saves.b], ['vm-snapshot-load', load, rawLoad]] as const) {
      const x = spreadOf(a);
      const y = spreadOf(b);
      const ratio = x.median / y.median;
      results.push(await saveResult({ name, metric: `${name.slice(3)} on a running 128 MiB guest: Nova vs the raw QMP job (median of ${SNAPSHOT_RUNS}, interleaved)`, unit: 'ms', value: x.median, baseline: y.median, ratio, goal: 'report (<= 1.5x)', met: ratio <= 1.5, ...spreadFields(x, y) }));
    }

    // Cold `nova ls`: a fresh process (bundled CLI) listing one running VM.
    const bundle = join(root, 'out', 'cli', 'nova.cjs');
    if (!existsSync(bundle)) spawnSync(process.execPath, [join(root, 'scripts', 'build-node.mjs')], { cwd: root });
    const nova = [process.execPath, join(root, 'bin', 'nova.mjs'), 'ls'];
    const lsRun = () => {
      const t = performance.now();
      const r = spawnSync(nova[0]!, nova.slice(1), { env, encoding: 'utf8' });
      const ms = performance.now() - t;
      if (!/b\s+vm\s+running/.test(r.stdout)) throw new Error(`nova ls did not list the VM: ${r.stdout}${r.stderr}`);
      return ms;
    };
    const cold = await interleave(lsRun, () => timed(() => spawnSync(process.execPath, ['-e', '0'])), LS_RUNS);
    const v = spreadOf(cold.a);
    const bare = spreadOf(cold.b);
    results.push(await saveResult({ name: 'vm-ls-cold', metric: `cold \`nova ls\` with a running VM vs bare \`node -e 0\` (median of ${LS_RUNS}, interleaved)`, unit: 'ms', value: v.median, baseline: bare.median, ratio: v.median / bare.median, goal: '<= 1.5x', met: v.median / bare.median <= 1.5, ...spreadFields(v, bare) }));
  } finally {
    await inv('vm.destroy', { name: 'b' }).catch(() => undefined);
    const rawPid = await readPidFile(join(rawDir, 'qemu.pid'));
    if (rawPid && pidAlive(rawPid)) process.kill(rawPid, 'SIGKILL');
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
