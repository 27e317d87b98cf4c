// kill -9 of `nova privd` at every step of a VFIO bind, unbind and reattach of a fixture IOMMU
// group (NOVA_CRASH_AT=N: the helper kills itself at the Nth crash point of its verbs: every sysfs
// write, every change of /dev/vfio/N, every state file), then a restart: the helper converges
// what its intent log says, and the group is exactly as before the verb or as after it — fixture
// tree, group nodes and the helper's records — with nothing left behind (no intent, no temp file).
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildScenario } from '../gpu/testing/hosts.js';
import { describeHost } from '../../test/host.js';
import { NetnsLab, suffix } from '../../test/netns.js';
import { NOVA_GPU_FIXTURE, PrivdLab, tearDownPrivdLab } from '../../test/privd.js';
import type { RawAnswer } from '../../test/privd.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';

const GPU = '0000:01:00.0';

describeHost('kill -9 of nova privd at every step of a VFIO move (fixture sysfs)', { root: true, tools: ['ip', 'setpriv', 'useradd', 'cc'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const ns = `nvgk-${sfx}`;
  let p: PrivdLab;
  let sys: string;
  let vfio: string;
  let group: string;
  let a: TestUser;
  /** The running helper was started with NOVA_CRASH_AT. */
  let armed = false;
  const data = () => join(p.dir, 'root', 'data');

  /** Every file, link and folder of a tree with its content or target, owner and mode. */
  const walk = (root: string): string[] => {
    const out: string[] = [];
    const visit = (dir: string) => {
      for (const e of readdirSync(dir).sort()) {
        const path = join(dir, e);
        const st = lstatSync(path);
        const rel = relative(root, path);
        if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
        else if (st.isDirectory()) {
          out.push(`${rel}/`);
          visit(path);
        } else out.push(`${rel} ${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)} ${JSON.stringify(readFileSync(path, 'utf8'))}`);
      }
    };
    visit(root);
    return out;
  };
  const json = (file: string) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {});
  /** What the host and the helper hold: equal to a reference state, or not. */
  const state = () =>
    JSON.stringify(
      {
        sysfs: walk(sys),
        vfio: walk(vfio),
        owners: json(join(data(), 'privd', 'owners.json')).device ?? {},
        memo: json(join(data(), 'gpu', 'original-drivers.json')),
      },
      null,
      1,
    );
  /** What must never outlive a converged helper. */
  const orphans = () => {
    const found: string[] = [];
    const intents = join(data(), 'privd', 'intents');
    for (const f of existsSync(intents) ? readdirSync(intents) : []) found.push(`intent ${f}`);
    for (const f of walk(join(p.dir, 'root'))) if (/\.tmp\b/.test(f)) found.push(`temp ${f.split(' ')[0]}`);
    return found;
  };

  /** A request as user `a`; undefined when the helper died before answering. */
  const call = (verb: string, input: unknown = { address: GPU }) =>
    new Promise<RawAnswer | undefined>((resolve) => {
      const js = `const s=require('net').createConnection(process.argv[1]);let b='';s.on('connect',()=>s.write(process.argv[2]+'\\n'));s.on('data',d=>b+=d);s.on('end',()=>process.stdout.write(b));s.on('error',()=>{});`;
      execFile('setpriv', [`--reuid=${a.uid}`, `--regid=${a.gid}`, '--init-groups', '--', process.execPath, '-e', js, p.sock, JSON.stringify({ verb, input })], { timeout: 60_000 }, (_e, stdout) =>
        resolve(stdout.trim() ? (JSON.parse(stdout) as RawAnswer) : undefined),
      );
    });
  const exited = () =>
    new Promise<NodeJS.Signals | number | null>((resolve) => {
      const h = p.helper!;
      if (h.exitCode !== null || h.signalCode !== null) resolve(h.signalCode ?? h.exitCode);
      else h.once('exit', (code, signal) => resolve(signal ?? code));
    });
  /** The helper (re)started: with NOVA_CRASH_AT=n it dies at the nth crash point of `verb` (other verbs do not count). */
  const restart = async (crashAt?: number, verb?: string) => {
    if (p.helper && p.helper.exitCode === null && p.helper.signalCode === null) {
      p.stop();
      await exited();
    }
    await p.start(['--group', group], { NOVA_SYSFS_ROOT: sys, NOVA_VFIO_DIR: vfio, ...(crashAt ? { NOVA_CRASH_AT: String(crashAt), NOVA_CRASH_VERB: verb } : {}) }, NOVA_GPU_FIXTURE);
    armed = Boolean(crashAt);
  };
  /** A helper that does not crash (restarted only if the running one would). */
  const clean = async () => {
    if (armed) await restart();
  };
  const ok = async (verb: string) => expect(await call(verb), verb).toMatchObject({ ok: true });

  beforeAll(async () => {
    lab.add(ns);
    p = new PrivdLab(ns);
    sys = await buildScenario('desktop-rtx5090', join(p.dir, 'host'));
    vfio = join(p.dir, 'vfio');
    mkdirSync(vfio, { mode: 0o755 });
    for (const g of readdirSync(join(sys, 'kernel/iommu_groups'))) writeFileSync(join(vfio, g), '', { mode: 0o600 });
    group = users.group(`nvgkg${sfx}`);
    a = users.add(`nvgka${sfx}`, [group]);
    await restart();
  }, 120_000);

  afterAll(() => tearDownPrivdLab(p, lab, users));

  /**
   * Kills the helper at crash point 1, 2, … of `verb` (run from the state `from`), restarts it and
   * checks the converged state is `from` or `done`, until the verb runs past its last point.
   * `prepare` brings the host back to `from` with a helper that does not crash.
   */
  async function everyStep(verb: string, from: string, done: string, prepare: () => Promise<void>): Promise<string[]> {
    const steps: string[] = [];
    const outcomes = { before: 0, after: 0, converged: 0 };
    await restart(1, verb);
    for (let n = 1; n < 80; n++) {
      if (state() !== from) await prepare(); // verbs other than `verb` do not count
      expect(state(), `${verb}: the state before kill #${n}`).toBe(from);
      const answer = await call(verb);
      if (answer) {
        // Past every crash point: the verb finished and answered.
        expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
        expect(state()).toBe(done);
        expect(orphans()).toEqual([]);
        break;
      }
      expect(await exited(), `${verb}: the helper died at crash point ${n}`).toBe('SIGKILL');
      const step = /killed at (.*)/.exec(p.log)?.[1] ?? '?';
      steps.push(step);
      // The restart (armed for the next point) converges before it serves.
      await restart(n + 1, verb);
      if (p.log.includes(`privd: converged ${verb} ${GPU}`)) outcomes.converged++;
      const now = state();
      expect([from, done].includes(now) ? '' : now, `${verb}: after a kill at "${step}" (point ${n}) and a restart, the group is as before or as after`).toBe('');
      expect(orphans(), `${verb}: left behind after a kill at "${step}"`).toEqual([]);
      outcomes[now === from ? 'before' : 'after']++;
    }
    console.log(`${verb}: killed at ${steps.length} steps (${outcomes.before} ended as before, ${outcomes.after} as after; the intent log converged ${outcomes.converged}): ${steps.join(' | ')}`);
    // Every kill after the intent was written left something for the restart to converge.
    expect(outcomes.converged).toBeGreaterThan(0);
    return steps;
  }

  /**
   * Kills `verb` at the crash points whose step matches one of `at`, then kills each restart at
   * convergence point 1, 2, … until one gets through: the converged state is `from` or `done`.
   */
  async function killedRecoveries(verb: string, steps: string[], at: RegExp[], from: string, done: string, prepare: () => Promise<void>): Promise<number> {
    let kills = 0;
    for (const re of at) {
      await clean();
      if (state() !== from) await prepare();
      const n = steps.findIndex((s) => re.test(s)) + 1;
      expect(n, `${verb}: a crash point matching ${re}`).toBeGreaterThan(0);
      await restart(n, verb);
      expect(await call(verb), `${verb} killed at point ${n}`).toBeUndefined();
      await exited();
      for (let m = 1; ; m++) {
        expect(m, `${verb} killed at point ${n}: the convergence never finished`).toBeLessThan(40);
        if (await restart(m, 'startup').then(() => true, () => false)) break;
        expect(await exited()).toBe('SIGKILL');
        kills++;
      }
      const now = state();
      expect([from, done].includes(now) ? '' : now, `${verb} killed at "${steps[n - 1]}", then its convergence killed: as before or as after`).toBe('');
      expect(orphans(), `${verb} killed at "${steps[n - 1]}", then its convergence killed`).toEqual([]);
    }
    return kills;
  }

  it('bind, unbind and reattach: after a kill at any step and a restart (and at any step of that restart\'s convergence), the group is as before or as after, nothing left behind', async () => {
    // The reference states, from runs nobody kills.
    const original = state();
    await ok('gpu.bind');
    const bound = state();
    expect(bound).toContain('vfio-pci');
    await ok('gpu.reattach');
    expect(state()).toBe(original);
    await ok('gpu.unbind');
    const unbound = state();
    await ok('gpu.reattach');
    expect(state()).toBe(original);
    expect(orphans()).toEqual([]);

    const toOriginal = () => ok('gpu.reattach');
    const bind = await everyStep('gpu.bind', original, bound, toOriginal);
    expect(bind.join('\n')).toMatch(/write gpu-0000-01-00-0\.json[\s\S]*write owners\.json[\s\S]*setting the driver override of 0000:01:00\.0[\s\S]*unbinding 0000:01:00\.0 from nvidia[\s\S]*probing drivers for 0000:01:00\.1[\s\S]*owned by uid[\s\S]*intent not yet cleared/);
    // A kill while the restart converges an interrupted bind: the next restart converges it.
    expect(await killedRecoveries('gpu.bind', bind, [/unbinding 0000:01:00\.0 from nvidia/, /intent not yet cleared/], original, bound, toOriginal)).toBeGreaterThan(0);
    const unbind = await everyStep('gpu.unbind', original, unbound, toOriginal);
    expect(unbind.join('\n')).toMatch(/unbinding 0000:01:00\.0 from nvidia[\s\S]*unbinding 0000:01:00\.1 from snd_hda_intel/);
    const reattach = await everyStep('gpu.reattach', bound, original, () => ok('gpu.bind'));
    expect(reattach.join('\n')).toMatch(/mode 600[\s\S]*unbinding 0000:01:00\.0 from vfio-pci[\s\S]*probing drivers for 0000:01:00\.1[\s\S]*write owners\.json/);
    await clean();
    expect(state()).toBe(original);
    expect(statSync(join(vfio, '14')).uid).toBe(0);
  }, 900_000);
});
