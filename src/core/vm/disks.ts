// Disk images through qemu-img: create, import (convert), resize, info. `-U` reads images a
// running QEMU holds open (info, snapshot list) without fighting over its lock.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { NovaError } from '../../shared/errors.js';
import type { vmDiskInfo } from '../../shared/contract/vm.js';
import type { Runner } from '../sys/runner.js';

export type DiskInfo = z.infer<typeof vmDiskInfo>;

interface QemuImgInfo {
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  snapshots?: { name: string; 'vm-state-size': number; 'date-sec': number; 'vm-clock-sec': number }[];
}

export async function imageInfo(runner: Runner, path: string): Promise<QemuImgInfo> {
  if (!existsSync(path)) throw new NovaError('NOT_FOUND', `disk image ${path} does not exist`, { path });
  const r = await runner.run(['qemu-img', 'info', '-U', '--output=json', path], { timeoutMs: 30_000 });
  return JSON.parse(r.stdout) as QemuImgInfo;
}

export async function diskInfo(runner: Runner, path: string): Promise<DiskInfo> {
  const i = await imageInfo(runner, path);
  const backing = i['full-backing-filename'] ?? i['backing-filename'];
  return {
    path,
    format: i.format,
    virtualSize: i['virtual-size'],
    actualSize: i['actual-size'] ?? 0,
    ...(backing ? { backingFile: backing } : {}),
    snapshots: i.snapshots?.length ?? 0,
  };
}

export async function createDisk(runner: Runner, path: string, size: number, format: 'qcow2' | 'raw', backing?: { path: string; format: string }): Promise<DiskInfo> {
  if (existsSync(path)) throw new NovaError('CONFLICT', `${path} already exists; pick another path or delete it first`, { path });
  if (size <= 0 && !backing) throw new NovaError('INVALID_INPUT', 'size: a disk needs a size above 0, e.g. "20Gi"');
  await mkdir(dirname(path), { recursive: true });
  const argv = ['qemu-img', 'create', '-q', '-f', format];
  if (backing) argv.push('-b', backing.path, '-F', backing.format);
  argv.push(path);
  if (size > 0) argv.push(String(size));
  await runner.run(argv, { timeoutMs: 60_000 });
  return diskInfo(runner, path);
}

export async function importDisk(runner: Runner, source: string, path: string, format: 'qcow2' | 'raw', signal?: AbortSignal): Promise<DiskInfo> {
  if (!existsSync(source)) throw new NovaError('INVALID_INPUT', `source: ${source} does not exist`, { field: 'source' });
  if (existsSync(path)) throw new NovaError('CONFLICT', `${path} already exists`, { path });
  await mkdir(dirname(path), { recursive: true });
  await runner.run(['qemu-img', 'convert', '-p', '-O', format, source, path], { timeoutMs: 3_600_000, ...(signal ? { signal } : {}) });
  return diskInfo(runner, path);
}

export async function resizeDisk(runner: Runner, path: string, size: number): Promise<DiskInfo> {
  const cur = await diskInfo(runner, path);
  if (size < cur.virtualSize) {
    throw new NovaError('INVALID_INPUT', `size: shrinking ${path} from ${cur.virtualSize} to ${size} bytes would destroy data; only growing is supported`);
  }
  await runner.run(['qemu-img', 'resize', '-f', cur.format, path, String(size)], { timeoutMs: 60_000 });
  return diskInfo(runner, path);
}
