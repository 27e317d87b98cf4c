// The native capsule supervisor (native/capsule-supervisor*.c) through the engine, on real crun:
// the overlay lives only in the capsule's mount namespace, OOM kills and signals reach the exit
// record, log lines keep stream and time (also a last line without newline), and a killed
// supervisor is reported and recovered by a restart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs, mountsUnder } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { supervisorBinary } from './supervisor.js';
import { execFileSync } from 'node:child_process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeHost('the native capsule supervisor', { root: true, tools: ['crun'] }, () => {
  let home: TempHome;
  let engine: Engine;
  let rootfs: string;
  const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;
  const create = (name: string, spec: Record<string, unknown>) => call('capsule.create', { name, start: true, spec: { capsule: rootfs, runtime: 'crun', ...spec } });
  const waitFor = async (name: string, pred: (c: CapsuleInfo) => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const c = await call('capsule.inspect', { name });
      if (pred(c)) return c;
      if (Date.now() > end) throw new Error(`${name}: still ${c.state} (${c.reason ?? ''})`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    home = await tempHome('nova-sup-');
    rootfs = busyboxRootfs(join(home.dir, 'work'));
    engine = home.engine();
  });

  afterAll(async () => {
    for (const name of ['ns', 'oom', 'logs', 'orphan']) await engine?.dispatcher.call('capsule.rm', { name, force: true });
    await home?.cleanup();
  });

  it('keeps the overlay root inside the capsule: the host mount table never shows it', async () => {
    const c = await create('ns', { command: ['sh', '-c', 'echo made > /made.txt; while :; do sleep 1; done'] });
    expect(c.state).toBe('running');
    await sleep(200);
    // The write landed in the capsule's upper layer on the host disk…
    expect(readFileSync(join(home.dir, 'data', 'capsules', 'ns', 'overlay', 'upper', 'made.txt'), 'utf8')).toBe('made\n');
    // …through an overlay the host's mount namespace does not have.
    expect(mountsUnder(home.dir)).toEqual([]);
    const sup = Number(readFileSync(join(home.dir, 'data', 'capsules', 'ns', 'supervisor.pid'), 'utf8'));
    const theirs = readFileSync(`/proc/${sup}/mountinfo`, 'utf8');
    expect(theirs).toContain(join(home.dir, 'data', 'capsules', 'ns', 'bundle', 'rootfs'));
    await call('capsule.stop', { name: 'ns', timeout: 0 });
    expect(mountsUnder(home.dir)).toEqual([]);
  });

  it('records an OOM kill of the first process as exit 137 with the reason', async () => {
    // dd's 100 MiB buffer cannot fit in 32 MiB: the kernel kills pid 1 itself.
    await create('oom', { command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], limits: { memory: '32Mi' } });
    const done = await waitFor('oom', (c) => c.state === 'crashed'); // killed by the kernel, not stopped by Nova
    expect(done.exit).toMatchObject({ code: 137, signal: 'SIGKILL', oomKilled: true });
    expect(done.reason).toMatch(/OOM/);
  });

  it('logs each line with its stream and time, and a last line without a newline', async () => {
    const before = Date.now() - 1000;
    await create('logs', { command: ['sh', '-c', 'echo one; echo two >&2; printf three; exit 3'] });
    const done = await waitFor('logs', (c) => c.state === 'exited');
    expect(done.exit?.code).toBe(3);
    const { lines } = await call<{ lines: { at: number; stream: string; line: string }[] }>('capsule.logs', { name: 'logs' });
    const byStream = lines.map((l) => `${l.stream}:${l.line}`).sort();
    expect(byStream).toEqual(['stderr:two', 'stdout:one', 'stdout:three']);
    for (const l of lines) expect(l.at).toBeGreaterThanOrEqual(before);
  });

  it('reports a killed supervisor, and a restart brings the capsule back under a new one', async () => {
    await create('orphan', { command: ['sh', '-c', 'while :; do sleep 1; done'] });
    const pidFile = join(home.dir, 'data', 'capsules', 'orphan', 'supervisor.pid');
    const first = Number(readFileSync(pidFile, 'utf8'));
    process.kill(first, 'SIGKILL');
    const orphaned = await waitFor('orphan', (c) => /supervisor is gone/.test(c.reason ?? ''));
    expect(orphaned.state).toBe('running');
    const back = await call('capsule.restart', { name: 'orphan', timeout: 0 });
    expect(back.state).toBe('running');
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(first);
    expect((await call<{ stdout: string }>('capsule.exec', { name: 'orphan', command: ['echo', 'alive'] })).stdout.trim()).toBe('alive');
  });

  it('refuses to run with missing arguments (exit 2, usage)', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(supervisorBinary(), ['--dir', home.dir], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/usage: .*--id ID/);
  });
});
