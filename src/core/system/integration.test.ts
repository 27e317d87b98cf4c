import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { TARGETS, locateSources } from './integration.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);

describe('nova system install --destdir (staging root)', () => {
  let home: TempHome;
  let stage: string;
  beforeEach(async () => {
    home = await tempHome('nova-sys-');
    stage = join(home.dir, 'stage');
  });
  afterEach(async () => {
    await home.cleanup();
  });

  it('finds its resources in the checkout', () => {
    expect(locateSources()).toEqual({ resources: join(ROOT, 'resources'), cli: join(ROOT, 'bin', 'nova.mjs') });
  });

  it('links the CLI, installs the unit running `nova net hydrate` and the policy; uninstall removes only those', async () => {
    const e = home.engine();
    const r = await e.dispatcher.invoke('system.install', { destdir: stage });
    expect(r.items.every((i) => i.installed)).toBe(true);
    expect(r.changed).toHaveLength(5);
    expect(await readFile(join(stage, TARGETS['privd-service']), 'utf8')).toMatch(/^ExecStart=\/usr\/local\/bin\/nova privd$/m);
    expect(await readlink(join(stage, TARGETS.cli))).toBe(join(ROOT, 'bin', 'nova.mjs'));
    expect(await readFile(join(stage, TARGETS['hydrate-unit']), 'utf8')).toMatch(/^ExecStart=\/usr\/local\/bin\/nova net hydrate$/m);
    expect(await readFile(join(stage, TARGETS['polkit-policy']), 'utf8')).toContain('<action id="org.nova.attach">');
    // Idempotent.
    expect((await e.dispatcher.invoke('system.install', { destdir: stage })).changed).toEqual([]);
    // A file that is not ours is left alone by uninstall.
    await writeFile(join(stage, TARGETS['polkit-policy']), '<policyconfig/>');
    const u = await e.dispatcher.invoke('system.uninstall', { destdir: stage });
    expect(u.changed).toEqual(['removed /usr/local/bin/nova', 'removed /etc/systemd/system/nova-hydrate.service', 'removed /etc/systemd/system/nova-privd.socket', 'removed /etc/systemd/system/nova-privd.service']);
    expect(existsSync(join(stage, TARGETS['polkit-policy']))).toBe(true);
  });

  it('a failure half-way undoes every earlier step and restores what was there', async () => {
    const e = home.engine();
    // An old unit the admin had, which must come back untouched.
    await mkdir(join(stage, 'etc/systemd/system'), { recursive: true });
    await writeFile(join(stage, TARGETS['hydrate-unit']), '[Service]\nExecStart=/bin/true\n');
    // The policy folder cannot be created: a plain file sits where a directory must go.
    await mkdir(join(stage, 'usr/share'), { recursive: true });
    await writeFile(join(stage, 'usr/share/polkit-1'), 'not a directory');
    await expect(e.dispatcher.invoke('system.install', { destdir: stage })).rejects.toThrow();
    expect(existsSync(join(stage, TARGETS.cli))).toBe(false);
    expect(await readFile(join(stage, TARGETS['hydrate-unit']), 'utf8')).toBe('[Service]\nExecStart=/bin/true\n');
    expect(existsSync(`${join(stage, TARGETS['hydrate-unit'])}.nova-backup`)).toBe(false);
  });

  it("the helper's unit may write where system install puts files (ProtectSystem=strict), and nowhere else outside its state", async () => {
    const unit = await readFile(join(ROOT, 'resources/systemd/nova-privd.service'), 'utf8');
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    const writable = (/^ReadWritePaths=(.*)$/m.exec(unit)?.[1] ?? '').split(/\s+/).map((p) => p.replace(/^-/, ''));
    const needed = [...new Set(Object.values(TARGETS).map((t) => dirname(t)))];
    expect(writable.sort()).toEqual(['/var/lib/nova', '/run/nova', ...needed].sort());
  });

  it('rejects a relative destdir naming the field', async () => {
    await expect(home.engine().dispatcher.invoke('system.install', { destdir: 'stage' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('destdir') });
  });
});

const asNobody = async (home: string, args: string[]) =>
  run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(ROOT, 'bin', 'nova.mjs'), ...args], {
    env: { ...process.env, HOME: home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1', XDG_RUNTIME_DIR: '', NOVA_PRIVD_SOCKET: join(home, 'privd.sock') },
    timeout: 60_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

describeHost('nova CLI as an unprivileged user', { root: true, tools: ['setpriv', 'ip'] }, () => {
  it('`nova net create` without the privileged helper fails with PERMISSION saying how to start it, before touching the host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nova-nobody-'));
    await chmod(dir, 0o777);
    const name = `nvp${process.pid % 100000}`;
    try {
      const r = await asNobody(dir, ['net', 'create', name, '--json']);
      expect(r.code).toBe(1);
      const err = (JSON.parse(r.stderr) as { error: { code: string; message: string; details: { fix: string } } }).error;
      expect(err).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining(`Creating network ${name} needs CAP_NET_ADMIN, which Nova does as your user through its privileged helper when polkit allows org.nova.manage-networks, and the helper is not running (no ${join(dir, 'privd.sock')}). Nothing was changed.`) });
      expect(err.details.fix).toBe(`start Nova's privileged helper on ${join(dir, 'privd.sock')}: \`nova privd --socket ${join(dir, 'privd.sock')}\` in a root shell`);
      expect(r.stderr).not.toContain('sudo');
      await expect(run('ip', ['link', 'show', name])).rejects.toThrow();
      expect(existsSync(join(dir, 'data', 'networks'))).toBe(false);
    } finally {
      await run('ip', ['link', 'del', name]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`nova system install` without the helper fails with PERMISSION naming the action and how to start it, and changes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nova-nobody-'));
    await chmod(dir, 0o777);
    const before = await Promise.all(Object.values(TARGETS).map((p) => lstat(p).then((s) => s.mtimeMs, () => 'absent')));
    try {
      const r = await asNobody(dir, ['system', 'install', '--json']);
      expect(r.code).toBe(1);
      const err = (JSON.parse(r.stderr) as { error: { code: string; message: string; details: { fix: string } } }).error;
      expect(err.code).toBe('PERMISSION');
      expect(err.message).toContain("Installing Nova's system integration needs root, which Nova does as your user through its privileged helper when polkit allows org.nova.manage-system");
      expect(err.message).toContain('Nothing was changed.');
      expect(err.details.fix).toContain(`nova privd --socket ${join(dir, 'privd.sock')}`);
      expect(r.stderr).not.toContain('sudo');
      const after = await Promise.all(Object.values(TARGETS).map((p) => lstat(p).then((s) => s.mtimeMs, () => 'absent')));
      expect(after).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
