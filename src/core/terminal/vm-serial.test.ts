// A VM's serial console as a terminal, on a real TCG guest: the guest's output arrives as
// terminal.output, typed keys reach the guest's ttyS0 (its line discipline echoes them back), the
// serial log still gets every byte, and a second terminal takes the line over from the first.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';

describeHost('VM serial console terminal (TCG guest)', { root: true, tools: ['qemu-system-x86_64', 'apt-get', 'cpio'] }, () => {
  let home: TempHome;
  let engine: Engine;
  const call = <T>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;
  let serialLog = '';

  beforeAll(async () => {
    const guest = await ensureTestGuest();
    home = await tempHome('nova-serial-');
    engine = home.engine();
    await call('vm.create', { name: 'ser', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
    ({ serialLog } = await call<{ serialLog: string }>('vm.start', { name: 'ser' }));
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await engine?.dispatcher.call('vm.destroy', { name: 'ser' });
    await home?.cleanup();
  });

  it('streams the guest, carries typed keys, keeps the log, hands the line to the newest terminal', async () => {
    const out = new Map<string, string>();
    const exits = new Map<string, string>();
    engine.bus.on('terminal.output', (e) => out.set(e.id, (out.get(e.id) ?? '') + e.data));
    engine.bus.on('terminal.exit', (e) => exits.set(e.id, e.reason));
    const first = await call<{ id: string; title: string }>('terminal.open', { target: { kind: 'vm', name: 'ser' }, cols: 80, rows: 24 });
    expect(first.title).toBe('ser — serial console');
    await waitFor('guest output on the terminal', () => /nova-counter \d+/.test(out.get(first.id) ?? ''), 90_000, 100);
    await call('terminal.input', { id: first.id, data: 'typed-by-nova' });
    await waitFor('the guest tty echoes the keys', () => (out.get(first.id) ?? '').includes('typed-by-nova'), 20_000, 100);
    expect(await call('terminal.resize', { id: first.id, cols: 100, rows: 30 })).toEqual({ id: first.id, applied: false });
    await waitFor('the log keeps the guest output while a client is connected', () => readFileSync(serialLog, 'utf8').includes('typed-by-nova'), 20_000, 100);

    const second = await call<{ id: string }>('terminal.open', { target: { kind: 'vm', name: 'ser' }, cols: 80, rows: 24 });
    expect(exits.get(first.id)).toBe('opened in another terminal');
    const seen = (out.get(second.id) ?? '').length;
    await waitFor('the new terminal gets the guest', () => (out.get(second.id) ?? '').length > seen && /nova-counter/.test(out.get(second.id) ?? ''), 30_000, 100);
    await call('vm.destroy', { name: 'ser' });
    await waitFor('the terminal ends with the VM', () => exits.get(second.id), 20_000, 100);
    expect(exits.get(second.id)).toMatch(/serial console of VM ser closed/);
    await expect(call('terminal.open', { target: { kind: 'vm', name: 'ser' }, cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'CONFLICT' });
  }, 180_000);
});
