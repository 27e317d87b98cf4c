// In-app terminals against real runtimes: a shell on a pty in a running capsule (crun and runc),
// its output as terminal.output events, resizes reaching the pty, hang-up ending the shell.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs, unmountUnder } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';

describeHost('terminal sessions (capsule shell on a pty)', { root: true, tools: ['crun', 'runc', 'cc'] }, () => {
  let home: TempHome;
  let engine: Engine;
  const names = ['term-crun', 'term-runc'] as const;
  const call = <T>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nova-term-');
    const work = join(home.dir, 'work');
    mkdirSync(work, { recursive: true });
    busyboxRootfs(work);
    engine = home.engine();
    for (const [i, name] of names.entries()) {
      await call('capsule.create', { name, baseDir: work, start: true, spec: { capsule: './rootfs', runtime: i ? 'runc' : 'crun', command: 'while :; do sleep 1; done' } });
    }
  });

  afterAll(async () => {
    await engine?.close();
    for (const name of names) await engine?.dispatcher.call('capsule.rm', { name, force: true });
    if (home) unmountUnder(home.dir);
    await home?.cleanup();
  });

  /** Everything a session printed so far, and how it ended. */
  function record(id: () => string) {
    const seen = { out: '', exit: undefined as undefined | { reason: string; exitCode?: number } };
    const offOut = engine.bus.on('terminal.output', (e) => e.id === id() && (seen.out += e.data));
    const offExit = engine.bus.on('terminal.exit', (e) => e.id === id() && (seen.exit = e));
    return { seen, off: () => (offOut(), offExit()) };
  }

  /**
   * Types an idempotent command until its answer shows: keys typed while the shell is still setting
   * up its tty can be flushed (a user types at the prompt), and a busy CI may be slow to get there.
   */
  async function typeUntil(id: string, seen: { out: string }, data: string, answer: string): Promise<void> {
    let last = 0;
    await waitFor(`"${answer}" after typing ${JSON.stringify(data)}`, async () => {
      if (seen.out.includes(answer)) return true;
      if (Date.now() - last > 3000) {
        last = Date.now();
        await call('terminal.input', { id, data });
      }
      return false;
    }, 60_000, 50);
  }

  it.each(names)('%s: a typed command runs in the capsule; the exit code comes back', async (name) => {
    let id = '';
    const { seen, off } = record(() => id);
    ({ id } = await call<{ id: string }>('terminal.open', { target: { kind: 'capsule', name }, cols: 80, rows: 24 }));
    await typeUntil(id, seen, 'echo $((6*7)) $(hostname)\n', `42 ${name}`);
    await call('terminal.input', { id, data: 'exit 7\n' });
    await waitFor('the end', () => seen.exit, 60_000, 50);
    expect(seen.exit).toMatchObject({ exitCode: 7 });
    off();
  });

  it('resizes reach the pty; closing hangs up the shell', async () => {
    let id = '';
    const { seen, off } = record(() => id);
    ({ id } = await call<{ id: string }>('terminal.open', { target: { kind: 'capsule', name: 'term-runc' }, cols: 80, rows: 24 }));
    await typeUntil(id, seen, 'stty size\n', '24 80');
    expect(await call('terminal.resize', { id, cols: 132, rows: 40 })).toEqual({ id, applied: true });
    await typeUntil(id, seen, 'stty size\n', '40 132');
    expect(await call('terminal.close', { id })).toEqual({ id, closed: true });
    expect(seen.exit).toMatchObject({ reason: 'closed' });
    await expect(call('terminal.input', { id, data: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    off();
  });

  it('a stopped capsule or VM gets no terminal', async () => {
    await expect(call('terminal.open', { target: { kind: 'capsule', name: 'nope' }, cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('terminal.open', { target: { kind: 'vm', name: 'nope' }, cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
