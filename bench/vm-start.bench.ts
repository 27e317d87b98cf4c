// VM benches on the shared TCG test guest, each against the raw tool in the same run:
// - vm-start: Nova's vm.start (command → QMP "running") vs raw qemu with the identical argv
//   (spawn → QMP "running"), 10 runs each, ratio of medians (goal ≤ 1.05);
// - vm-snapshot-save / vm-snapshot-load: vm.snapshot.* vs the raw QMP jobs;
// - vm-ls-cold: wall time of a cold `nova ls` process with a running VM (goal < 150 ms).
import { execFile, spawnSync } from 'node:child_process';
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
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = 10;
const median = (xs: number[]) => percentile(xs, 50);
const root = join(import.meta.dirname, '..');

function runQemu(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), (err, _o, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve())));
}

async function rawStart(argv: string[], pidfile: string, qmp: string): Promise<number> {
  const t = performance.now();
  await runQemu(argv);
  const st = await withQmp(qmp, queryStatus);
  if (st.status !== 'running') throw new Error(`raw qemu reports ${st.status}`);
  return performance.now() - t;
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
    const nova: number[] = [];
    const raw: number[] = [];
    let argv: string[] = [];
    const l = layoutOf(engine.paths, 'b');
    const swap = (a: string) => a.replaceAll(join(home, 'run', 'vms', 'b'), rawDir);
    await mkdir(rawDir, { recursive: true });
    const novaRun = async () => {
      const t = performance.now();
      await inv('vm.start', { name: 'b' });
      nova.push(performance.now() - t);
      argv = (JSON.parse(await readFile(l.runtimeInfo, 'utf8')) as RuntimeInfo).argv;
      await inv('vm.stop', { name: 'b', force: true });
    };
    // The raw run: identical argv, its own pidfile/sockets so nothing is shared with Nova's run.
    const rawRun = async () => {
      raw.push(await rawStart(argv.map(swap), swap(l.pidfile), swap(l.qmp)));
      await rawStop(swap(l.pidfile), swap(l.qmp));
    };
    await novaRun(); // warm-up (page cache, JIT), and it records the argv the raw runs reuse
    nova.length = 0;
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so neither side always runs right after a QEMU teardown.
      if (i % 2) {
        await rawRun();
        await novaRun();
      } else {
        await novaRun();
        await rawRun();
      }
    }
    const r = median(nova) / median(raw);
    results.push(await saveResult({ name: 'vm-start', metric: 'VM start to QMP running (median of 10): Nova vs raw qemu, same argv', unit: 'ms', value: median(nova), baseline: median(raw), ratio: r, goal: '<= 1.05x', met: r <= 1.05 }));

    // Snapshots on a running guest: Nova's procedures vs the raw QMP jobs on the same VM.
    await inv('vm.start', { name: 'b' });
    await new Promise((res) => setTimeout(res, 3000));
    const save: number[] = [], load: number[] = [], rawSave: number[] = [], rawLoad: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      await inv('vm.snapshot.create', { name: 'b', tag: `n${i}` });
      save.push(performance.now() - t);
      t = performance.now();
      await inv('vm.snapshot.restore', { name: 'b', tag: `n${i}` });
      load.push(performance.now() - t);
      await inv('vm.snapshot.delete', { name: 'b', tag: `n${i}` });
      t = performance.now();
      await withQmp(l.qmp, (q) => snapshotSave(q, `r${i}`, 'disk0', ['disk0']));
      rawSave.push(performance.now() - t);
      t = performance.now();
      await withQmp(l.qmp, (q) => snapshotLoad(q, `r${i}`, 'disk0', ['disk0']));
      rawLoad.push(performance.now() - t);
      await withQmp(l.qmp, (q) => snapshotDelete(q, `r${i}`, ['disk0']));
    }
    for (const [name, a, b] of [['vm-snapshot-save', save, rawSave], ['vm-snapshot-load', load, rawLoad]] as const) {
      const ratio = median([...a]) / median([...b]);
      results.push(await saveResult({ name, metric: `${name.slice(3)} on a running 128 MiB guest (median of 3): Nova vs raw QMP job`, unit: 'ms', value: median([...a]), baseline: median([...b]), ratio, goal: 'report (<= 1.5x)', met: ratio <= 1.5 }));
    }

    // Cold `nova ls`: a fresh process (bundled CLI) listing one running VM.
    const bundle = join(root, 'out', 'cli', 'nova.cjs');
    if (!existsSync(bundle)) spawnSync(process.execPath, [join(root, 'scripts', 'build-node.mjs')], { cwd: root });
    const ls: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      const r = spawnSync(process.execPath, [join(root, 'bin', 'nova.mjs'), 'ls'], { env, encoding: 'utf8' });
      ls.push(performance.now() - t);
      if (!/b\s+vm\s+running/.test(r.stdout)) throw new Error(`nova ls did not list the VM: ${r.stdout}${r.stderr}`);
      t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      bare.push(performance.now() - t);
    }
    const v = median(ls);
    results.push(await saveResult({ name: 'vm-ls-cold', metric: 'cold `nova ls` wall time with a running VM (median of 7); baseline: bare `node -e 0`', unit: 'ms', value: v, baseline: median(bare), ratio: v / median(bare), goal: '< 150 ms', met: v < 150 }));
  } finally {
    await inv('vm.destroy', { name: 'b' }).catch(() => undefined);
    const rawPid = await readPidFile(join(rawDir, 'qemu.pid'));
    if (rawPid && pidAlive(rawPid)) process.kill(rawPid, 'SIGKILL');
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
