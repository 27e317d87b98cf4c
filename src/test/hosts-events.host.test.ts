// Remote hosts' events pushed, not polled (#22): a local `nova serve` (the app's engine, run as an
// unprivileged user) with a client watching it keeps a connection to host B (a namespace with its
// own sshd and `nova serve --socket`) and re-publishes B's events as `host.event`; B dropping off
// the network and coming back arrive as `host.state` without anyone asking.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectNode } from '../server/client.js';
import { describeHost } from './host.js';
import { SshLab } from './ssh-lab.js';
import type { LabHost } from './ssh-lab.js';
import { waitFor } from './wait.js';

interface HostEvent {
  host: string;
  event: string;
  payload: { name?: string; state?: string };
}

describeHost('remote hosts\' events through the engine that watches them (host.event, host.state)', { root: true, tools: ['sshd', 'ssh', 'ssh-keyscan', 'setpriv', 'ip'] }, () => {
  const lab = new SshLab({ prefix: 'nho', net: 115 });
  let b: LabHost;
  let client: Awaited<ReturnType<typeof connectNode>> | undefined;
  const events: HostEvent[] = [];
  const states: { host: string; reachable: boolean; error?: string; at: number }[] = [];

  beforeAll(async () => {
    lab.setup();
    b = await lab.addHost('b');
    const add = await lab.nova(['host', 'add', 'b', b.url, '--fingerprint', lab.fingerprint(b)]);
    expect(add.code, add.stderr).toBe(0);
    const kernel = join(b.novaHome, 'vmlinuz');
    writeFileSync(kernel, '');
    chownSync(kernel, lab.remote.uid, lab.remote.gid);
  }, 120_000);
  afterAll(() => {
    client?.close();
    lab.cleanup();
  });

  it('a VM another client defines on B arrives as host.event; B dropping off the network and coming back arrive as host.state', async () => {
    const app = await lab.serveLocal();
    client = await connectNode(app.url, app.token);
    client.on('host.event', (e) => events.push(e as HostEvent));
    client.on('host.state', (s) => states.push({ ...(s as { host: string; reachable: boolean; error?: string }), at: Date.now() }));
    // Someone watches the engine: it connects to B by itself and says so.
    await waitFor('host.state: b reachable', () => states.some((s) => s.host === 'b' && s.reachable), 30_000);

    // Another client (the CLI, its own SSH connection) defines a VM on B: the watcher hears B's own events.
    const made = Date.now();
    const r = await lab.nova(['--host', 'b', 'vm', 'create', 'w', '--kernel', join(b.novaHome, 'vmlinuz'), '--memory', '128Mi', '--network', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const seen = await waitFor('host.event: b resource.changed for w', () => events.find((e) => e.host === 'b' && e.event === 'resource.changed' && e.payload.name === 'w'), 15_000, 50);
    expect(seen.payload.state).toBe('stopped');
    console.log(`host.event for a VM defined on b: ${Date.now() - made} ms after the CLI started (incl. its own ssh connection)`);

    // B drops off the network: the kept connection's keep-alives notice, host.state says so with why.
    const cut = Date.now();
    lab.setLink(b, false);
    const down = await waitFor('host.state: b unreachable', () => states.find((s) => s.host === 'b' && !s.reachable && s.at >= cut), 30_000, 100);
    expect(down.error).toBeTruthy();
    console.log(`b unreachable after ${down.at - cut} ms: ${down.error}`);
    // The engine keeps answering meanwhile.
    expect((await app.call<{ items: unknown[] }>('host.list', { probe: false })).items).toHaveLength(1);

    // Back on the network: the engine reconnects by itself and events flow again.
    const healed = Date.now();
    lab.setLink(b, true);
    const up = await waitFor('host.state: b reachable again', () => states.find((s) => s.host === 'b' && s.reachable && s.at >= healed), 30_000, 100);
    console.log(`b reachable again ${up.at - healed} ms after its link came back`);
    const rm = await lab.nova(['--host', 'b', 'vm', 'rm', 'w']);
    expect(rm.code, rm.stderr).toBe(0);
    await waitFor('host.event: w deleted on b', () => events.find((e) => e.host === 'b' && e.event === 'resource.changed' && e.payload.name === 'w' && e.payload.state === 'deleted'), 15_000, 50);
  }, 150_000);
});
