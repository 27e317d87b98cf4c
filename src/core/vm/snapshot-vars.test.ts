// Snapshots keep UEFI variables, on a real UEFI guest run by an ordinary user's engine: OVMF (TCG)
// boots to its UEFI shell, which the test drives over the serial socket. `setvar` writes a
// non-volatile variable (OVMF's flash writes reach OVMF_VARS.fd at once); a live snapshot keeps
// the store; a variable set after it is gone once the snapshot is restored (live: QEMU writes the
// restored flash back; stopped: Nova writes its copy back), and the store equals the copy. The
// same for an external (overlay) snapshot: its copy goes back into the store when it is restored.
import { createConnection } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { execFileSync } from 'node:child_process';
import { resolvePaths } from '../sys/paths.js';
import { varsCopyPath } from './snapshot-vars.js';
import { layoutOf } from './store.js';

const GUID = '6e6f7661-7661-4172-8000-000000000019';
const OVMF = '/usr/share/OVMF/OVMF_CODE_4M.fd';

describeHost('snapshots keep UEFI variables (OVMF shell, TCG), as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'setpriv', 'useradd'], files: [OVMF] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  const layout = () => layoutOf(resolvePaths({ NOVA_HOME: home }), 'uv');
  const vars = () => readFileSync(layout().varsFile);
  const has = (name: string) => vars().includes(Buffer.from(name, 'utf16le'));
  let shells = 0;

  /** Waits for the next "Shell>" prompt on the serial log. */
  const prompt = (what: string) => {
    const want = ++shells;
    return waitFor(what, () => (readFileSync(layout().serialLog, 'latin1').match(/Shell> /g)?.length ?? 0) >= want, 180_000, 250);
  };
  /** Types a line into the UEFI shell: one character at a time (OVMF's serial input buffer is small). */
  const type = (line: string) =>
    new Promise<void>((done, fail) => {
      const s = createConnection(layout().serialSocket);
      s.on('error', fail);
      s.on('data', () => undefined);
      s.on('connect', async () => {
        for (const ch of `${line}\r`) {
          s.write(ch);
          await new Promise((r) => setTimeout(r, 15));
        }
        s.end();
        done();
      });
    });
  const setvar = async (name: string) => {
    await type(`setvar ${name} -guid ${GUID} -nv -bs ="${name}"`);
    await prompt(`the shell after setvar ${name}`);
    await waitFor(`${name} in the variable store`, () => has(name), 30_000, 200);
  };
  const boot = async () => {
    await call('vm.start', { name: 'uv' });
    await prompt('the UEFI shell');
  };

  beforeAll(async () => {
    user = createTestUser('nuv');
    home = mkdtempSync('/tmp/nova-uv-');
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    engine = await startUserEngine(user, { NOVA_HOME: home });
    await call('vm.create', { name: 'uv', spec: { firmware: 'uefi', memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: join(home, 'uv.qcow2'), size: '32Mi' }] } });
  }, 120_000);

  afterAll(async () => {
    if (engine) {
      await call('vm.destroy', { name: 'uv' }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('a live snapshot keeps the vars; a variable set after it is gone after a live restore, a stopped restore and an external snapshot\'s restore', async () => {
    await boot();
    await setvar('NovaVarA');
    const snap = await call<{ uefiVars?: boolean }>('vm.snapshot.create', { name: 'uv', tag: 'a' });
    expect(snap.uefiVars).toBe(true);
    const copyA = readFileSync(varsCopyPath(resolvePaths({ NOVA_HOME: home }), 'uv', 'a'));
    expect(copyA.includes(Buffer.from('NovaVarA', 'utf16le'))).toBe(true);
    expect((await call<{ snapshots: { tag: string; uefiVars?: boolean }[] }>('vm.snapshot.list', { name: 'uv' })).snapshots).toEqual([expect.objectContaining({ tag: 'a', uefiVars: true })]);

    // Live restore: the flash comes back from the snapshot's RAM, and QEMU writes it to the store.
    await setvar('NovaVarB');
    expect(await call<{ uefiVars?: boolean }>('vm.snapshot.restore', { name: 'uv', tag: 'a' })).toMatchObject({ uefiVars: true });
    await waitFor('NovaVarB gone from the store after the live restore', () => !has('NovaVarB'), 30_000, 200);
    await call('vm.stop', { name: 'uv', force: true });
    expect(has('NovaVarA')).toBe(true);
    expect(vars().equals(copyA)).toBe(true);

    // Stopped: a disk-only snapshot copies the store; a variable set on the next boot is gone once it is restored.
    expect(await call<{ uefiVars?: boolean }>('vm.snapshot.create', { name: 'uv', tag: 'b' })).toMatchObject({ uefiVars: true });
    await boot();
    await setvar('NovaVarC');
    // External (overlay) snapshot of the running VM: the store is copied with it; a variable set
    // after it is gone once it is restored (stopped), the one set before stays; delete drops the copy.
    expect(await call<{ uefiVars?: boolean }>('vm.snapshot.create', { name: 'uv', tag: 'x', external: true })).toMatchObject({ external: true, uefiVars: true });
    const copyX = readFileSync(varsCopyPath(resolvePaths({ NOVA_HOME: home }), 'uv', 'x'));
    await setvar('NovaVarD');
    await call('vm.stop', { name: 'uv', force: true });
    expect(has('NovaVarD')).toBe(true);
    expect(await call<{ uefiVars?: boolean }>('vm.snapshot.restore', { name: 'uv', tag: 'x' })).toMatchObject({ uefiVars: true });
    expect(has('NovaVarD')).toBe(false);
    expect(has('NovaVarC')).toBe(true);
    expect(vars().equals(copyX)).toBe(true);
    await call('vm.snapshot.delete', { name: 'uv', tag: 'x' });
    expect(() => readFileSync(varsCopyPath(resolvePaths({ NOVA_HOME: home }), 'uv', 'x'))).toThrow(/ENOENT/);
    expect(await call<{ uefiVars?: boolean }>('vm.snapshot.restore', { name: 'uv', tag: 'b' })).toMatchObject({ uefiVars: true });
    expect(has('NovaVarC')).toBe(false);
    expect(vars().equals(copyA)).toBe(true);
    // The store is still the user's file, and a deleted snapshot takes its copy along.
    expect(execFileSync('stat', ['-c', '%u', layout().varsFile], { encoding: 'utf8' }).trim()).toBe(String(user.uid));
    await call('vm.snapshot.delete', { name: 'uv', tag: 'b' });
    expect(() => readFileSync(varsCopyPath(resolvePaths({ NOVA_HOME: home }), 'uv', 'b'))).toThrow(/ENOENT/);
  }, 600_000);
});
