// VM definitions on disk: <data>/vms/<name>/vm.json (written atomically), plus the per-VM
// runtime folder (pidfile, QMP/VNC/TPM sockets, markers) under <runtime>/vms/<name>/.
import { readdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import { readJsonKept } from '../sys/small-files.js';
import { dirs } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import type { RuntimeLayout, ResolvedDisk, ResolvedShare } from './config/types.js';

export interface VmRecord {
  version: 1;
  name: string;
  uuid: string;
  project?: string;
  baseDir: string;
  spec: VmSpec;
  mac: string;
  createdAt: number;
  /** External snapshots: disk node → the overlay that is now the disk's active layer. */
  overlays?: Record<string, string>;
  /** NICs on more switches than spec.network (vm.nic.attach); QEMU gets them at start or by hot-plug. */
  nics?: { network: string; mac: string; ports?: string[] }[];
  /** When the VM first booted with its first-boot media (cloud-init seed, install ISOs): later starts leave them out. */
  firstBootAt?: number;
}

/** What the running QEMU was started with (so any process can report it). */
export interface RuntimeInfo {
  pid?: number;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  nic: { kind: 'user' | 'tap' | 'none'; network?: string; ifname?: string };
  argv: string[];
  startedAt: number;
  incoming?: string;
  /** Root started it: QEMU dropped to this user inside a seccomp sandbox. */
  runAs?: string;
  /** The declared NICs after the first (`nics = [...]`) this QEMU was started with. */
  declared?: { kind: 'user' | 'tap'; network: string; mac: string; ifname?: string }[];
  /** Host USB devices passed through (usb-host), at start (`usb = [...]`) or by vm.usb.attach. */
  usb?: { id: string; bus: number; address: number; port: string; qdevId: string }[];
  /** Shared folders as this QEMU got them, and the virtiofsd pids (tag → pid). */
  shares?: ResolvedShare[];
  virtiofsd?: Record<string, number>;
  /** Extra NICs this QEMU has now (cold-plugged at start, hot-plugged or unplugged since). */
  nics?: { network: string; ifname: string; mac: string }[];
  /** Why an extra NIC could not be given to this QEMU (network → reason); it applies at the next start. */
  nicErrors?: Record<string, string>;
}

export const vmDir = (paths: NovaPaths, name: string) => join(dirs.vms(paths), name);
export const recordPath = (paths: NovaPaths, name: string) => join(vmDir(paths, name), 'vm.json');
export const runtimeDir = (paths: NovaPaths, name: string) => join(paths.runtime, 'vms', name);

export function layoutOf(paths: NovaPaths, name: string): RuntimeLayout & { runtimeInfo: string; swtpmPid: string; swtpmLog: string; tpmState: string; markers: string; scratch: string } {
  const run = runtimeDir(paths, name);
  const data = vmDir(paths, name);
  // What QEMU's side creates while it runs (swtpm's socket, screendumps): a root-started QEMU
  // and its swtpm have dropped to their run-as user by then, and this folder is theirs.
  // Plain concatenation: the folders are already normalized and names never hold '/' (a
  // listing builds this per item, and path.join per field was a visible share of it).
  const scratch = `${run}/qemu`;
  return {
    // In the scratch folder: QEMU unlinks its pidfile at a clean exit, after a root-started one
    // dropped to its run-as user, so the folder must be that user's (a leftover pidfile = a crash).
    pidfile: `${scratch}/qemu.pid`,
    qemuLog: `${run}/qemu.log`,
    qmp: `${run}/qmp.sock`,
    qmpEvents: `${run}/qmpe.sock`,
    vncSocket: `${run}/vnc.sock`,
    scratch,
    tpmSocket: `${scratch}/tpm.sock`,
    swtpmPid: `${scratch}/swtpm.pid`,
    swtpmLog: `${scratch}/swtpm.log`,
    runtimeInfo: `${run}/runtime.json`,
    markers: run,
    serialLog: `${data}/serial.log`,
    serialSocket: `${run}/serial.sock`,
    qgaSocket: `${run}/qga.sock`,
    varsFile: `${data}/OVMF_VARS.fd`,
    tpmState: `${data}/tpm`,
  };
}

export async function loadRecord(paths: NovaPaths, name: string): Promise<VmRecord> {
  const rec = await readJson<VmRecord | undefined>(recordPath(paths, name), undefined);
  if (!rec) throw new NovaError('NOT_FOUND', `no VM named "${name}" — see \`nova vm ls\``, { name });
  return rec;
}

export const findRecord = async (paths: NovaPaths, name: string) => readJsonKept<VmRecord | undefined>(recordPath(paths, name), undefined);

export const saveRecord = (paths: NovaPaths, rec: VmRecord) => writeJsonAtomic(recordPath(paths, rec.name), rec);

export async function listRecords(paths: NovaPaths): Promise<VmRecord[]> {
  let names: string[] = [];
  try {
    names = readdirSync(dirs.vms(paths));
  } catch {
    /* no VM yet */
  }
  // Disk images sit beside the VM folders: only names without a dot can be VMs (names are [a-z0-9-]).
  const recs = await Promise.all(names.filter((n) => !n.includes('.')).sort().map((n) => findRecord(paths, n).catch(() => undefined)));
  return recs.filter((r): r is VmRecord => Boolean(r));
}

export async function removeVmDirs(paths: NovaPaths, name: string): Promise<void> {
  await rm(runtimeDir(paths, name), { recursive: true, force: true });
  await rm(vmDir(paths, name), { recursive: true, force: true });
}

export const readRuntime = (paths: NovaPaths, name: string) => readJson<RuntimeInfo | undefined>(layoutOf(paths, name).runtimeInfo, undefined).catch(() => undefined);

export function newIdentity(name: string): { uuid: string; mac: string } {
  // node:crypto on first use, not at load: listing VMs (a cold `nova ls`) never needs it.
  const { randomUUID, createHash } = process.getBuiltinModule('node:crypto');
  const uuid = randomUUID();
  const h = createHash('sha256').update(`${name}/${uuid}`).digest();
  // 52:54:00 is QEMU's locally administered prefix.
  const mac = ['52', '54', '00', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
  return { uuid, mac };
}

export const absolutize = (baseDir: string, p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));

/** The VM's disks in boot order: `image` first, then `disks`; node names disk0, disk1, … */
export function resolveDisks(rec: VmRecord): ResolvedDisk[] {
  const entries = [...(rec.spec.image ? [rec.spec.image] : []), ...rec.spec.disks];
  return entries.map((e, i) => {
    const d = typeof e === 'string' ? { path: e } : e;
    const path = absolutize(rec.baseDir, d.path);
    const node = `disk${i}`;
    const format = d.format ?? (/\.(img|raw)$/i.test(path) ? 'raw' : 'qcow2');
    return { path: rec.overlays?.[node] ?? path, format: rec.overlays?.[node] ? 'qcow2' : format, bus: d.bus ?? 'virtio', readonly: d.readonly ?? false, node };
  });
}

export function resolveIsos(rec: VmRecord): string[] {
  const iso = rec.spec.iso;
  return (iso === undefined ? [] : Array.isArray(iso) ? iso : [iso]).map((p) => absolutize(rec.baseDir, p));
}

/**
 * runtime.json lives in the runtime dir (tmpfs, gone at reboot): replaced atomically (temp +
 * rename) so readers never see half a file, but not fsynced — durability buys nothing there and
 * costs milliseconds on every start.
 */
export async function writeRuntime(paths: NovaPaths, name: string, info: RuntimeInfo): Promise<void> {
  const file = layoutOf(paths, name).runtimeInfo;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info)}\n`);
  await rename(tmp, file);
}
