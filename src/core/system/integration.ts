// `nova system install|uninstall|status`: the CLI on PATH, the boot-time hydrate unit, the
// privileged helper's socket + service and the polkit policy for source installs (packages ship
// the same files as package files). All or nothing.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, symlink, lstat, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NovaError } from '../../shared/errors.js';
import type { IntegrationStatus } from '../../shared/contract/system.js';
import { writeFileAtomic } from '../sys/atomic.js';
import { requireRoot } from '../sys/privilege.js';
import { withReverter } from '../sys/reverter.js';
import type { Reverter } from '../sys/reverter.js';
import type { Runner } from '../sys/runner.js';

export const TARGETS = {
  cli: '/usr/local/bin/nova',
  'hydrate-unit': '/etc/systemd/system/nova-hydrate.service',
  'privd-socket': '/etc/systemd/system/nova-privd.socket',
  'privd-service': '/etc/systemd/system/nova-privd.service',
  'polkit-policy': '/usr/share/polkit-1/actions/org.nova.policy',
} as const;
type ItemName = keyof typeof TARGETS;
const UNIT = 'nova-hydrate.service';
/** Unit files and the units enabled for them (the helper starts on first use of its socket). */
const UNIT_FILES = { 'hydrate-unit': UNIT, 'privd-socket': 'nova-privd.socket', 'privd-service': 'nova-privd.service' } as const;
const ENABLED = [UNIT, 'nova-privd.socket'];

export interface Sources {
  /** The folder holding systemd/ and polkit/ (resources/ in a checkout, the package's resources). */
  resources: string;
  /** What /usr/local/bin/nova points at. */
  cli: string;
}

/** Finds the resources next to this code: a source checkout, the out/cli bundle, or a package. */
export function locateSources(from = dirname(fileURLToPath(import.meta.url))): Sources {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'resources', 'systemd', UNIT))) return { resources: join(dir, 'resources'), cli: join(dir, 'bin', 'nova.mjs') };
    if (existsSync(join(dir, 'systemd', UNIT)) && existsSync(join(dir, 'bin', 'nova'))) return { resources: dir, cli: join(dir, 'bin', 'nova') };
    dir = dirname(dir);
  }
  throw new NovaError('HOST_UNSUPPORTED', `Nova's resources (systemd/${UNIT}) were not found near ${from}; reinstall Nova`);
}

const under = (destdir: string | undefined, p: string) => (destdir ? join(destdir, p) : p);

async function desiredContent(name: Exclude<ItemName, 'cli'>, src: Sources): Promise<string> {
  if (name !== 'polkit-policy') {
    const unit = await readFile(join(src.resources, 'systemd', UNIT_FILES[name]), 'utf8');
    return unit.replace(/^ExecStart=\/usr\/bin\/nova /m, `ExecStart=${TARGETS.cli} `);
  }
  return readFile(join(src.resources, 'polkit', 'org.nova.policy'), 'utf8');
}

async function itemState(name: ItemName, destdir: string | undefined, src: Sources): Promise<IntegrationStatus['items'][number]> {
  const path = under(destdir, TARGETS[name]);
  if (name === 'cli') {
    const target = await readlink(path).catch(() => undefined);
    return { name, path, installed: target === src.cli, detail: target ? `→ ${target}` : existsSync(path) ? 'a different nova is installed here' : undefined };
  }
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const want = await desiredContent(name, src);
  return { name, path, installed: text === want, detail: text === undefined ? undefined : text === want ? undefined : 'present but differs (edited, or from another version)' };
}

const systemdRunning = (destdir?: string) => !destdir && existsSync('/run/systemd/system');

export async function integrationStatus(runner: Runner, destdir?: string, src = locateSources()): Promise<IntegrationStatus> {
  const items = await Promise.all((Object.keys(TARGETS) as ItemName[]).map((n) => itemState(n, destdir, src)));
  let hydrateEnabled: boolean | undefined;
  if (systemdRunning(destdir)) {
    const r = await runner.run(['systemctl', 'is-enabled', UNIT], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
    hydrateEnabled = r ? r.stdout.trim() === 'enabled' : undefined;
  }
  return { items, ...(hydrateEnabled !== undefined ? { hydrateEnabled } : {}), changed: [] };
}

/**
 * Replaces `path` with `write()`, registering an undo that restores what was there before. The
 * old file is kept as a backup (listed in `backups`) until the whole install succeeded.
 */
async function replaceFile(r: Reverter, path: string, write: () => Promise<void>, backups: string[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const before = await lstat(path).catch(() => undefined);
  const backup = `${path}.nova-backup`;
  if (before) await rename(path, backup);
  r.add(async () => {
    await rm(path, { force: true });
    if (before) await rename(backup, path);
  }, `restore ${path}`);
  await write();
  if (before) backups.push(backup);
}

export async function installIntegration(runner: Runner, destdir?: string, src = locateSources()): Promise<IntegrationStatus> {
  if (!destdir) requireRoot("Installing Nova's system integration (nova on PATH, boot-time network hydrate, polkit policy)", { fix: 'the nova package installs it (deb/pacman); from a checkout, run `nova system install` in a root shell' });
  const changed: string[] = [];
  const backups: string[] = [];
  await withReverter(async (r) => {
    const cli = under(destdir, TARGETS.cli);
    if ((await readlink(cli).catch(() => undefined)) !== src.cli) {
      await replaceFile(r, cli, () => symlink(src.cli, cli), backups);
      changed.push(`linked ${TARGETS.cli} → ${src.cli}`);
    }
    for (const name of ['hydrate-unit', 'privd-socket', 'privd-service', 'polkit-policy'] as const) {
      const path = under(destdir, TARGETS[name]);
      const want = await desiredContent(name, src);
      if ((await readFile(path, 'utf8').catch(() => undefined)) === want) continue;
      await replaceFile(r, path, () => writeFileAtomic(path, want, { mode: 0o644 }), backups);
      changed.push(`wrote ${TARGETS[name]}`);
    }
    if (systemdRunning(destdir)) {
      await runner.run(['systemctl', 'daemon-reload'], { timeoutMs: 30_000 });
      for (const unit of ENABLED) {
        const enabled = await runner.run(['systemctl', 'is-enabled', unit], { allowFailure: true, timeoutMs: 10_000 });
        if (enabled.stdout.trim() === 'enabled') continue;
        r.add(() => runner.run(['systemctl', 'disable', unit], { allowFailure: true }).then(() => undefined), `disable ${unit}`);
        await runner.run(['systemctl', 'enable', unit], { timeoutMs: 30_000 });
        changed.push(`enabled ${unit}`);
      }
    }
  });
  for (const b of backups) await rm(b, { force: true });
  return { ...(await integrationStatus(runner, destdir, src)), changed };
}

export async function uninstallIntegration(runner: Runner, destdir?: string, src = locateSources()): Promise<IntegrationStatus> {
  if (!destdir) requireRoot("Removing Nova's system integration", { fix: 'removing the nova package removes it; from a checkout, run `nova system uninstall` in a root shell' });
  const changed: string[] = [];
  if (systemdRunning(destdir)) {
    for (const unit of ENABLED) {
      const r = await runner.run(['systemctl', 'disable', unit], { allowFailure: true, timeoutMs: 30_000 });
      if (r.exitCode === 0) changed.push(`disabled ${unit}`);
    }
  }
  // Only what is ours: a link to this Nova, files with our exact content.
  for (const item of (await integrationStatus(runner, destdir, src)).items) {
    if (!item.installed) continue;
    await rm(item.path, { force: true });
    changed.push(`removed ${TARGETS[item.name]}`);
  }
  if (systemdRunning(destdir)) await runner.run(['systemctl', 'daemon-reload'], { allowFailure: true, timeoutMs: 30_000 });
  return { ...(await integrationStatus(runner, destdir, src)), changed };
}
