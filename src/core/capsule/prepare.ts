import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { VOLUME } from '../../shared/schemas/novafile.js';
import type { ContainerSpec } from '../../shared/schemas/novafile.js';
import type { ResolvedVolume } from './spec.js';

// Checks and resolutions done before anything touches the host: volumes, user, device numbers.

/** Volumes relative to baseDir; a missing source is an error naming the volume. */
export async function resolveVolumes(spec: ContainerSpec, baseDir: string): Promise<ResolvedVolume[]> {
  const out: ResolvedVolume[] = [];
  for (const [i, v] of spec.volumes.entries()) {
    const m = VOLUME.exec(v);
    if (!m) throw new NovaError('INVALID_INPUT', `spec.volumes[${i}]: "${v}" — write a volume like "./api:/srv/api" or "./data:/data:ro"`, { field: `volumes.${i}` });
    const source = isAbsolute(m[1]!) ? m[1]! : resolve(baseDir, m[1]!);
    if (!(await stat(source).catch(() => undefined))) {
      throw new NovaError('INVALID_INPUT', `spec.volumes[${i}]: "${v}": source ${source} does not exist; create it or fix the path (relative paths start at ${baseDir})`, {
        field: `volumes.${i}`,
      });
    }
    out.push({ source, destination: m[2]!, readonly: m[3] === 'ro' });
  }
  return out;
}

/** "uid[:gid]" or a user/group name looked up in the image's /etc/passwd and /etc/group. */
export async function resolveUser(rootfs: string, user: string | undefined): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':') as [string, string | undefined];
  const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8').catch(() => '');
  const group = await readFile(join(rootfs, 'etc/group'), 'utf8').catch(() => '');
  const lookup = (text: string, name: string) => text.split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const row = lookup(passwd, u);
    if (!row) throw new NovaError('INVALID_INPUT', `spec.user: "${u}" is not in the image's /etc/passwd; use a numeric uid like "1000"`, { field: 'user' });
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = lookup(group, g);
      if (!row) throw new NovaError('INVALID_INPUT', `spec.user: group "${g}" is not in the image's /etc/group; use a numeric gid`, { field: 'user' });
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

/** major:minor of the device holding `path` (for io throttling). */
export async function deviceOf(path: string): Promise<{ major: number; minor: number } | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  const dev = st.dev;
  return { major: Math.floor(dev / 256) & 0xfff, minor: (dev & 0xff) | ((Math.floor(dev / 4096) & 0xfff00) >>> 0) };
}

/** Limits that parse but make no sense for a capsule. */
export function checkLimits(spec: ContainerSpec): void {
  const { memory, cpu } = spec.limits;
  if (memory !== undefined && memory < 4 * 1024 * 1024) {
    throw new NovaError('INVALID_INPUT', `spec.limits.memory: ${memory} bytes is too small; give at least "4Mi" (e.g. memory = "256Mi")`, { field: 'limits.memory' });
  }
  if (cpu !== undefined && cpu < 0.01) throw new NovaError('INVALID_INPUT', 'spec.limits.cpu: give at least 0.01 CPUs (e.g. cpu = 0.5)', { field: 'limits.cpu' });
}
