// Host shutdown with NOVA_ON_SHUTDOWN=suspend: a running TCG guest is saved to its disk (internal
// snapshot nova-host-suspend) and quit; the next boot's `autostart start` resumes it where it was
// (its serial counter carries on instead of starting again) and drops the snapshot. Run as an
// ordinary user through the user unit's own ExecStop/ExecStart lines (root's system unit runs the
// same code; guests.test covers its start order and ACPI shutdown). The user unit passes systemd-analyze.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine, userGuestHome } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { SUSPEND_TAG } from './guests.js';

const run = promisify(execFile);
const NOVA_BIN = join(import.meta.dirname, '../../../bin/nova.mjs');
const USER_UNIT = join(import.meta.dirname, '../../../resources/systemd/user/nova-guests.service');

describeHost('nova-guests.service (user unit)', { tools: ['systemd-analyze'] }, () => {
  it('passes systemd-analyze verify --user and offers suspend at shutdown', async () => {
    const text = await readFile(USER_UNIT, 'utf8');
    expect(text).toMatch(/^ExecStop=\/usr\/bin\/nova autostart stop --timeout 90 --action \$\{NOVA_ON_SHUTDOWN\}$/m);
    expect(text).toMatch(/^EnvironmentFile=-%E\/nova\/guests\.env$/m);
    expect(text).toMatch(/^WantedBy=default\.target$/m);
    const dir = await mkdtemp(join(tmpdir(), 'npv-uunit-'));
    try {
      await chmod(dir, 0o755);
      await writeFile(join(dir, 'nova'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(join(dir, 'nova-guests.service'), text.replaceAll('/usr/bin/nova', join(dir, 'nova')), { mode: 0o644 });
      const r = await run('systemd-analyze', ['--user', 'verify', join(dir, 'nova-guests.service')]).catch((e: { stderr: string }) => ({ stdout: '', stderr: e.stderr }));
      expect(r.stderr.split('\n').filter((l) => l.includes('nova-guests'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The unit's `KEY=value` lines (Environment= then EnvironmentFile=), as systemd reads them for ExecStop. */
const unitEnv = (unit: string, envFile: string): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  for (const m of envFile.matchAll(/^(\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
};
/** An Exec line of the unit with ${VAR} expanded, /usr/bin/nova being this checkout's bin/nova.mjs. */
const execLine = (unit: string, key: 'ExecStart' | 'ExecStop', env: Record<string, string>): string[] => {
  const line = new RegExp(`^${key}=(.*)$`, 'm').exec(unit)![1]!;
  const argv = line.split(' ').map((a) => a.replace(/\$\{(\w+)\}/g, (_, k: string) => env[k] ?? ''));
  expect(argv[0]).toBe('/usr/bin/nova');
  return [process.execPath, NOVA_BIN, ...argv.slice(1)];
};

// The user unit's case: an ordinary user's guest (QEMU as the user), NOVA_ON_SHUTDOWN=suspend in the
// user's ~/.config/nova/guests.env, the unit's own ExecStop and ExecStart lines run as the user
// (this host has no systemd to run the unit itself; root's system unit runs the same commands).
describeHost('autostart as an ordinary user: suspend-to-disk at shutdown, resume at boot (real TCG guest)', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio', 'setpriv', 'useradd'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  beforeAll(async () => {
    await ensureTestGuest();
    user = createTestUser('nprv');
    home = userGuestHome(user, '/tmp/nprv-susp-');
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 120_000);
  afterAll(async () => {
    if (engine) {
      await engine.invoke('vm.destroy', { name: 'npvs' }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const counters = (text: string) => [...text.matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1]));

  it('saves the running guest, quits it, and brings it back where it was', async () => {
    const guest = await ensureTestGuest();
    const call = <T>(m: string, i: unknown) => engine.invoke<T>(m, i);
    // The user's setting, where the user unit reads it (%E = ~/.config).
    const cfg = join(user.home, '.config', 'nova');
    execFileSync('install', ['-d', '-o', String(user.uid), '-g', String(user.gid), join(user.home, '.config'), cfg]);
    execFileSync('install', ['-o', String(user.uid), '-g', String(user.gid), '-m', '0644', '/dev/null', join(cfg, 'guests.env')]);
    await writeFile(join(cfg, 'guests.env'), 'NOVA_ON_SHUTDOWN=suspend\n');
    const unit = await readFile(USER_UNIT, 'utf8');
    const env = unitEnv(unit, await readFile(join(cfg, 'guests.env'), 'utf8'));
    const asUser = async (key: 'ExecStart' | 'ExecStop') => {
      const [node, bin, ...args] = execLine(unit, key, env);
      const argv = [...user.as, node!, bin!, '--json', ...args];
      const r = await run(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1' }, timeout: 180_000 });
      return JSON.parse(r.stdout) as { items: AutostartOutcome[] };
    };

    // Not autostart: a VM suspended at shutdown comes back anyway (it was running).
    await call('vm.create', { name: 'npvs', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: join(home, 'npvs.qcow2'), size: '64Mi' }] } });
    const v = await call<VmInfo>('vm.start', { name: 'npvs' });
    expect(statSync(`/proc/${v.pid}`).uid).toBe(user.uid);
    // 12 s of counting: a fresh boot could not print a counter that high within the check below.
    await waitFor('the guest counted to 12', async () => counters(await readFile(v.serialLog, 'utf8')).some((n) => n >= 12), 180_000, 500);
    expect((await asUser('ExecStop')).items).toEqual([expect.objectContaining({ kind: 'vm', name: 'npvs', result: 'suspended' })]);
    expect((await call<VmInfo>('vm.inspect', { name: 'npvs' })).state).toBe('stopped');
    const saved = Math.max(...counters(await readFile(v.serialLog, 'utf8')));
    const snaps = await call<{ snapshots: { tag: string; vmStateSize: number }[] }>('vm.snapshot.list', { name: 'npvs' });
    expect(snaps.snapshots.find((s) => s.tag === SUSPEND_TAG)?.vmStateSize).toBeGreaterThan(0);

    const mark = (await readFile(v.serialLog, 'utf8')).length;
    expect((await asUser('ExecStart')).items).toEqual([expect.objectContaining({ kind: 'vm', name: 'npvs', result: 'resumed' })]);
    const r = await call<VmInfo>('vm.inspect', { name: 'npvs' });
    expect(r.state).toBe('running');
    expect(statSync(`/proc/${r.pid}`).uid).toBe(user.uid);
    // The counter carries on from the saved state: the first one printed after the resume follows
    // the saved value (a fresh boot would start again at 1).
    const first = await waitFor('a counter after the resume', async () => counters((await readFile(v.serialLog, 'utf8')).slice(mark))[0], 60_000, 250);
    expect(first).toBeGreaterThanOrEqual(saved);
    expect((await call<{ snapshots: { tag: string }[] }>('vm.snapshot.list', { name: 'npvs' })).snapshots.map((s) => s.tag)).not.toContain(SUSPEND_TAG);
    // Nothing left to resume: a second boot start leaves it alone.
    expect((await asUser('ExecStart')).items).toEqual([]);
    await call('vm.stop', { name: 'npvs', force: true });
  }, 400_000);
});
