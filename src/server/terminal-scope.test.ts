// Terminal output is private to the client that opened the terminal: two WebSocket clients of
// one `nova serve`, a real TCG guest's serial console opened by the first. The second client
// gets the broadcast events (the VM's state) but none of the first one's terminal output or end,
// and cannot type into, resize or close it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../core/engine.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../test/guest.js';
import { describeHost, tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { waitFor } from '../test/wait.js';
import { connectNode } from './client.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

type Client = Awaited<ReturnType<typeof connectNode>>;

/** Every event a client receives, in order. */
function recorder(c: Client) {
  const seen: { event: string; payload: { id?: string; data?: string; name?: string; state?: string } }[] = [];
  for (const event of ['terminal.output', 'terminal.exit', 'vm.state']) c.on(event as 'vm.state', (payload) => seen.push({ event, payload: payload as never }));
  return seen;
}

describeHost('terminal output reaches only the client that opened the terminal', { root: true, tools: ['qemu-system-x86_64', 'apt-get', 'cpio'] }, () => {
  let home: TempHome;
  let engine: Engine;
  let server: RunningServer;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    const guest = await ensureTestGuest();
    home = await tempHome('nova-tscope-');
    engine = home.engine();
    server = await startServer({ engine, port: 0 });
    [a, b] = await Promise.all([connectNode(server.url, server.token), connectNode(server.url, server.token)]);
    await engine.dispatcher.invoke('vm.create', { name: 'ts', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
  }, 120_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    await server?.close();
    await engine?.dispatcher.call('vm.destroy', { name: 'ts' });
    await engine?.close();
    await home?.cleanup();
  }, 60_000);

  it('the opener sees its terminal; the other client sees broadcasts only and cannot drive it', async () => {
    const seenA = recorder(a);
    const seenB = recorder(b);
    await a.call('vm.start', { name: 'ts' });
    await waitFor('both clients see the VM running', () => [seenA, seenB].every((s) => s.some((e) => e.event === 'vm.state' && e.payload.state === 'running')), 30_000, 50);

    const { id } = (await a.call('terminal.open', { target: { kind: 'vm', name: 'ts' }, cols: 80, rows: 24 })) as { id: string };
    const outA = () => seenA.filter((e) => e.event === 'terminal.output' && e.payload.id === id).map((e) => e.payload.data).join('');
    await waitFor('the guest on the opener\'s terminal', () => /nova-counter \d+/.test(outA()), 90_000, 100);
    await a.call('terminal.input', { id, data: 'typed-by-a' });
    await waitFor('the opener sees its keys echoed', () => outA().includes('typed-by-a'), 20_000, 100);

    await expect(b.call('terminal.input', { id, data: 'typed-by-b' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(b.call('terminal.resize', { id, cols: 100, rows: 30 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await b.call('terminal.close', { id })).toEqual({ id, closed: false });

    expect(await a.call('terminal.close', { id })).toEqual({ id, closed: true });
    await waitFor('the opener sees the end', () => seenA.some((e) => e.event === 'terminal.exit' && e.payload.id === id), 20_000, 50);
    // A round trip on b after the end: every event published before it has been delivered to b.
    await b.call('vm.inspect', { name: 'ts' });
    expect(seenB.filter((e) => e.event.startsWith('terminal.'))).toEqual([]);
    expect(outA()).not.toContain('typed-by-b');
  }, 180_000);
});
