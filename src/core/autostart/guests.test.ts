// nova-guests.service: the unit file (systemd-analyze verify) and its start/stop logic on real
// TCG guests — only autostart guests start, a broken one fails without stopping the others, and
// host shutdown stops a running guest through ACPI within the timeout.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { pidAlive } from '../sys/proc.js';

const UNIT = join(import.meta.dirname, '../../../resources/systemd/nova-guests.service');

describeHost('nova-guests.service', { tools: ['systemd-analyze'] }, () => {
  it('passes systemd-analyze verify and runs `nova autostart start|stop`', async () => {
    const text = await readFile(UNIT, 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/nova autostart start$/m);
    // Shutdown by default; /etc/nova/guests.env may say NOVA_ON_SHUTDOWN=suspend.
    expect(text).toMatch(/^ExecStop=\/usr\/bin\/nova autostart stop --timeout 120 --action \$\{NOVA_ON_SHUTDOWN\}$/m);
    expect(text).toMatch(/^Environment=NOVA_ON_SHUTDOWN=shutdown$/m);
    expect(text).toMatch(/^EnvironmentFile=-\/etc\/nova\/guests\.env$/m);
    expect(text).toMatch(/^After=.*nova-hydrate\.service/m);
    const dir = await mkdtemp(join(tmpdir(), 'npv-unit-'));
    try {
      // /usr/bin/nova exists only once the package is installed: verify with a stand-in path.
      await writeFile(join(dir, 'nova'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(join(dir, 'nova-guests.service'), text.replaceAll('/usr/bin/nova', join(dir, 'nova')));
      const r = await promisify(execFile)('systemd-analyze', ['verify', join(dir, 'nova-guests.service')]).catch((e: { stderr: string }) => ({ stdout: '', stderr: e.stderr }));
      expect(r.stderr.split('\n').filter((l) => l.includes('nova-guests'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeHost('autostart start/stop on real TCG guests and a capsule', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio', 'umoci', 'crun'] }, () => {
  let home: TempHome;
  const pids = new Set<number>();
  const NAMES = ['npva', 'npvb', 'npvc'];
  beforeAll(async () => {
    home = await tempHome('npv-auto-');
  });
  afterAll(async () => {
    const e = home.engine();
    for (const n of NAMES) await e.dispatcher.invoke('vm.destroy', { name: n }).catch(() => undefined);
    await e.dispatcher.invoke('capsule.rm', { name: 'npvcap', force: true }).catch(() => undefined);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
  });

  it('starts only the autostart guests, survives a broken one, and stops a running guest through ACPI in time', async () => {
    const guest = await ensureTestGuest();
    const e = home.engine();
    const call = <T>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
    // No guest agent in npva (nova.noqga): shutdown must go through the ACPI power button.
    const spec = (kernel: string, autostart: boolean) => ({ kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none', autostart });
    const gone = join(home.dir, 'vmlinuz-gone');
    await copyFile(guest.kernel, gone);
    await call('vm.create', { name: 'npva', spec: spec(guest.kernel, true) });
    await call('vm.create', { name: 'npvb', spec: spec(guest.kernel, false) });
    await call('vm.create', { name: 'npvc', spec: spec(gone, true) });
    await rm(gone);
    // A capsule marked autostart: started after the VMs, stopped with SIGTERM (which it traps).
    await call('image.import', { source: busyboxRootfs(home.dir), name: 'local/npv:1' });
    await call('capsule.create', { name: 'npvcap', spec: { capsule: 'local/npv:1', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], autostart: true } });

    const listed = await call<{ items: { kind: string; name: string; autostart: boolean }[] }>('autostart.list', {});
    expect(listed.items.filter((g) => g.kind === 'vm').map((g) => [g.name, g.autostart])).toEqual([['npva', true], ['npvb', false], ['npvc', true]]);

    const started = (await call<{ items: AutostartOutcome[] }>('autostart.start', {})).items;
    expect(started.map((o) => [o.kind, o.name, o.result])).toEqual([['vm', 'npva', 'started'], ['vm', 'npvc', 'failed'], ['capsule', 'npvcap', 'started']]);
    expect((await call<{ state: string }>('capsule.inspect', { name: 'npvcap' })).state).toBe('running');
    expect(started[1]!.reason).toMatch(/kernel: .*vmlinuz-gone does not exist/);
    const a = await call<VmInfo>('vm.inspect', { name: 'npva' });
    if (a.pid) pids.add(a.pid);
    expect(a.state).toBe('running');
    expect((await call<VmInfo>('vm.inspect', { name: 'npvb' })).state).toBe('stopped');
    // Once more (a restarted unit): nothing starts twice.
    expect((await call<{ items: AutostartOutcome[] }>('autostart.start', {})).items.find((o) => o.name === 'npva')?.result).toBe('already-running');

    // acpid in the guest handles the power button once it has booted.
    await waitFor('the guest booted', async () => /nova-counter 1/.test(await readFile(a.serialLog, 'utf8')), 120_000, 500);
    const timeoutMs = 60_000;
    const stopped = (await call<{ items: AutostartOutcome[] }>('autostart.stop', { timeoutMs })).items;
    expect(stopped).toEqual([
      expect.objectContaining({ kind: 'vm', name: 'npva', result: 'stopped', how: 'acpi' }),
      expect.objectContaining({ kind: 'capsule', name: 'npvcap', result: 'stopped', how: 'term' }),
    ]);
    for (const o of stopped) expect(o.ms).toBeLessThan(timeoutMs);
    expect((await call<{ state: string }>('capsule.inspect', { name: 'npvcap' })).state).not.toBe('running');
    expect((await call<VmInfo>('vm.inspect', { name: 'npva' })).state).toBe('stopped');
  }, 400_000);
});
