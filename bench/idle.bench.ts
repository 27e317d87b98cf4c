// Idle cost of the real `nova serve` process (#24): 3 TCG VMs and 5 capsules running, no client
// connected, for NOVA_IDLE_SECONDS (60) per window, NOVA_BENCH_RUNS windows (3).
// - idle-serve-cpu: CPU of the serve process AND of the children it started and reaped during
//   the window (short-lived helpers), from /proc/<pid>/stat utime+stime+cutime+cstime, in % of
//   one core. The guests themselves (QEMU, capsule processes and supervisors) are not counted:
//   they are not reaped while they run. Goal < 0.5 % all included.
// - idle-serve-children-cpu: the reaped children's part of it (report).
// - idle-serve-rss: resident memory of the serve process at the end (goal < 150 MB).
// The CLI bundle (out/cli, `npm run build:node`) runs when built, as installed; else the sources
// via tsx (noted: tsx costs memory the product does not pay).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNode } from '../src/server/client.js';
import { busyboxRootfs, unmountUnder } from '../src/test/capsule-fixtures.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE, TEST_GUEST_DIR } from '../src/test/guest.js';
import { runsOr, spreadFields, spreadOf } from './sample.js';
import { startServe } from './serve.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.NOVA_IDLE_SECONDS ?? 60);
const VMS = 3;
const CAPSULES = 5;
const TICK = 100; // USER_HZ on Linux

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime, stime, cutime, cstime of a process in seconds. */
function cpuOf(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields after the name start at 3 (state): utime is field 14, i.e. index 11 here.
  return { own: (f[11]! + f[12]!) / TICK, children: (f[13]! + f[14]!) / TICK };
}

const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;


export async function run(): Promise<BenchResult[]> {
  const fromSource = !existsSync(join(ROOT, 'out', 'cli', 'nova.cjs'));
  const guest = await ensureTestGuest();
  const home = await mkdtemp(join(tmpdir(), 'nova-idle-'));
  // The shared test guest's folder is allowed, as a user allows theirs (nova config allow-root).
  await mkdir(join(home, 'config'));
  await writeFile(join(home, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [TEST_GUEST_DIR] }), { mode: 0o600 });
  const token = randomBytes(24).toString('base64url');
  const { child, url } = await startServe(home, token, fromSource);
  const pid = child.pid!;
  const c = await connectNode(url, token);
  const rootfs = busyboxRootfs(join(home, 'work'));
  try {
    for (let i = 0; i < VMS; i++) {
      await c.call('vm.create', { name: `idle${i}`, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
      await c.call('vm.start', { name: `idle${i}` });
    }
    for (let i = 0; i < CAPSULES; i++) {
      await c.call('capsule.create', { name: `idle${i}`, spec: { capsule: rootfs, command: ['sleep', '100000'], runtime: 'crun' }, start: true });
    }
    c.close(); // idle means no client: nobody watches a view
    await sleep(5000); // the guests boot; the engine settles

    const windows = runsOr(3);
    const total: number[] = [];
    const kids: number[] = [];
    for (let w = 0; w < windows; w++) {
      const a = cpuOf(pid);
      const t0 = performance.now();
      await sleep(SECONDS * 1000);
      const b = cpuOf(pid);
      const secs = (performance.now() - t0) / 1000;
      total.push((100 * (b.own - a.own + b.children - a.children)) / secs);
      kids.push((100 * (b.children - a.children)) / secs);
    }
    const rss = rssMiB(pid);
    const t = spreadOf(total);
    const k = spreadOf(kids);
    const how = `${VMS} TCG VMs + ${CAPSULES} capsules running, no client, ${windows} windows of ${SECONDS} s, ${fromSource ? 'sources via tsx (no out/cli bundle)' : 'the out/cli bundle'}`;
    return [
      await saveResult({
        name: 'idle-serve-cpu', metric: `CPU of idle nova serve incl. the children it reaped, % of one core (${how}; median)`, unit: '%',
        value: t.median, baseline: null, ratio: null, goal: '< 0.5 %', met: t.median < 0.5, ...spreadFields(t),
      }),
      await saveResult({
        name: 'idle-serve-children-cpu', metric: `the reaped children's part of it, % of one core (${how}; median)`, unit: '%',
        value: k.median, baseline: null, ratio: null, goal: 'report', ...spreadFields(k),
      }),
      await saveResult({
        name: 'idle-serve-rss', metric: `resident memory of nova serve after the windows (${how})`, unit: 'MiB',
        value: rss, baseline: null, ratio: null, goal: '< 150 MB', met: rss < 150,
      }),
    ];
  } finally {
    const d = await connectNode(url, token).catch(() => undefined);
    if (d) {
      for (let i = 0; i < VMS; i++) await d.call('vm.destroy', { name: `idle${i}` }).catch(() => undefined);
      for (let i = 0; i < CAPSULES; i++) await d.call('capsule.rm', { name: `idle${i}`, force: true }).catch(() => undefined);
      d.close();
    }
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    unmountUnder(home);
    await rm(home, { recursive: true, force: true });
  }
}
