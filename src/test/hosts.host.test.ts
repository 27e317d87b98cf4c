// Remote Nova hosts for real: network namespaces as hosts, each with its own sshd and its own
// `nova serve --socket` run by an unprivileged user whose shell is nologin; the `nova` CLI run as
// another unprivileged user adds, lists, calls and removes them over OpenSSH.
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeHost, tempHome } from './host.js';
import { startServer } from '../server/server.js';
import type { EngineModule } from '../core/engine.js';
import { SshLab } from './ssh-lab.js';
import type { LabHost } from './ssh-lab.js';

interface Listed {
  items: { name: string; reachable: boolean; error?: string; version?: string; accelerator?: string; usage?: { cpus: number; memoryAvailableBytes: number }; latencyMs?: number }[];
}

describeHost('remote hosts over SSH (namespaces as hosts)', { root: true, tools: ['sshd', 'ssh', 'ssh-keyscan', 'setpriv', 'ip'] }, () => {
  const lab = new SshLab();
  let b: LabHost;
  const ls = async (): Promise<Listed> => {
    const r = await lab.nova(['host', 'ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Listed;
  };

  beforeAll(async () => {
    lab.setup();
    b = await lab.addHost('b');
  }, 120_000);
  afterAll(() => lab.cleanup());

  it('refuses a fingerprint that is not the host\'s, and pins nothing', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const r = await lab.nova(['host', 'add', 'b', b.url, '--fingerprint', wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not the confirmed');
    expect((await ls()).items).toEqual([]);
  }, 60_000);

  it('refuses to add without a terminal unless --yes or --fingerprint says what to trust', async () => {
    const r = await lab.nova(['host', 'add', 'b', b.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(lab.fingerprint(b)); // shown for confirmation
    expect(r.stderr).toMatch(/--fingerprint/);
  }, 60_000);

  it('adds a host with its confirmed key and lists it reachable with version, accelerator and free resources', async () => {
    const r = await lab.nova(['host', 'add', 'b', b.url, '--fingerprint', lab.fingerprint(b), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const known = readFileSync(join(lab.localHome, 'config', 'hosts', 'known_hosts'), 'utf8');
    expect(known).toMatch(/^nova-host-b ssh-ed25519 /);
    const [h] = (await ls()).items;
    expect(h).toMatchObject({ name: 'b', reachable: true, version: '0.1.0' });
    expect(['kvm', 'tcg', 'none']).toContain(h!.accelerator);
    expect(h!.usage!.cpus).toBeGreaterThan(0);
    expect(h!.usage!.memoryAvailableBytes).toBeGreaterThan(0);
  }, 60_000);

  it('runs a command on the remote host with --host and with NOVA_HOST, not here', async () => {
    const info = await lab.nova(['--host', 'b', 'host', 'info', '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { nova: { paths: { data: string } } }).nova.paths.data).toBe(join(b.novaHome, 'data'));
    const pool = join(b.novaHome, 'pool2');
    mkdirSync(pool);
    chownSync(pool, lab.remote.uid, lab.remote.gid);
    const add = await lab.nova(['storage', 'add', 'fast', pool, '--host', 'b']);
    expect(add.code, add.stderr).toBe(0);
    const there = await lab.nova(['storage', 'pools', '--json'], { NOVA_HOST: 'b' });
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toContain('"fast"');
    const here = await lab.nova(['storage', 'pools', '--json']);
    expect(here.stdout).not.toContain('"fast"');
  }, 60_000);

  it('refuses a host that runs another Nova version, naming both', async () => {
    // A real server on a socket the remote user owns, whose engine answers as Nova 9.9.9.
    const home = await tempHome('nho-skew-');
    const skewed: EngineModule = {
      name: 'skew',
      install: (e) => e.dispatcher.handle('host.usage', () => ({ version: '9.9.9', hostname: 'old', cpus: 1, load1: 0, cpuFree: 1, memoryTotalBytes: 1, memoryAvailableBytes: 1 })),
    };
    const dir = join(b.dir, 'skew');
    const socket = join(dir, 'serve.sock');
    const server = await startServer({ engine: home.engine({}, [skewed]), socket, tcp: false });
    try {
      for (const p of [dir, socket, `${socket}.token`]) chownSync(p, lab.remote.uid, lab.remote.gid);
      const r = await lab.nova(['host', 'add', 'old', `ssh://${lab.remote.name}@${b.address}${socket}`, '--fingerprint', lab.fingerprint(b)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('runs Nova 9.9.9, this one 0.1.0');
      expect((await ls()).items.map((h) => h.name)).toEqual(['b']);
    } finally {
      await server.close();
      await home.cleanup();
    }
  }, 60_000);

  it('refuses a cross-host migration in preflight, naming each problem, before anything moves', async () => {
    const kernel = join(lab.localHome, 'vmlinuz');
    writeFileSync(kernel, '');
    chownSync(kernel, lab.local.uid, lab.local.gid);
    const create = await lab.nova(['vm', 'create', 'big', '--kernel', kernel, '--memory', '512Gi', '--network', 'none']);
    expect(create.code, create.stderr).toBe(0);
    const r = await lab.nova(['migrate', 'vm', 'big', '--to', 'b', '--check', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout, r.stderr.replace(/\s+/g, ' ')).toContain('"problems"');
    const out = JSON.parse(r.stdout) as { ok: boolean; problems: string[] };
    expect(out.ok).toBe(false);
    expect(out.problems.join('\n')).toMatch(/only a running VM/);
    expect(out.problems.join('\n')).toMatch(/host b has .* of memory available, the VM needs 512\.0 GiB/);
    const there = await lab.nova(['--host', 'b', 'vm', 'ls', '--json']);
    expect(there.stdout).not.toContain('"big"');
  }, 60_000);

  it('shows a host that drops off the network as unreachable, and reachable again when it is back', async () => {
    lab.setLink(b, false);
    try {
      const [down] = (await ls()).items;
      expect(down).toMatchObject({ name: 'b', reachable: false });
      expect(down!.error).toMatch(/reach|answer|timed out/i);
      const call = await lab.nova(['--host', 'b', 'host', 'info']);
      expect(call.code).toBe(1);
    } finally {
      lab.setLink(b, true);
    }
    expect((await ls()).items[0]).toMatchObject({ name: 'b', reachable: true });
  }, 90_000);

  it('refuses a host whose SSH key changed, naming why and the fix', async () => {
    await lab.stopSshd(b);
    lab.newHostKey(b);
    await lab.startSshd(b);
    const [h] = (await ls()).items;
    expect(h).toMatchObject({ name: 'b', reachable: false });
    expect(h!.error).toContain('not the one pinned');
    const call = await lab.nova(['--host', 'b', 'storage', 'pools']);
    expect(call.code).toBe(1);
    expect(call.stderr).toContain('nova host rm b');
  }, 60_000);

  it('removes a host and its pinned keys', async () => {
    const r = await lab.nova(['host', 'rm', 'b']);
    expect(r.code, r.stderr).toBe(0);
    expect((await ls()).items).toEqual([]);
    expect(readFileSync(join(lab.localHome, 'config', 'hosts', 'known_hosts'), 'utf8')).toBe('');
    expect(existsSync(join(lab.localHome, 'config', 'hosts', 'hosts.json'))).toBe(true);
  }, 60_000);
});
