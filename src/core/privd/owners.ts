import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';

// Who made what through `nova privd`: switches, attachments (a VM's TAP, a capsule's veth),
// captures and the PCI devices moved to vfio-pci for a user's VM, by uid. Anyone allowed may attach to any switch; only the maker (or root) may change
// or remove it. A record is written before the host change (so a crash never leaves a switch
// nobody owns) and pruned at start when the thing it names is gone.

export type OwnedKind = 'switch' | 'attachment' | 'capture' | 'device';
type Book = Record<OwnedKind, Record<string, number>>;

export const attachmentKey = (network: string, ownerKey: string) => `${network}/${ownerKey}`;

export class Owners {
  constructor(private readonly file: string) {}

  static in(stateDir: string): Owners {
    return new Owners(join(stateDir, 'privd', 'owners.json'));
  }

  async read(): Promise<Book> {
    const b = await readJson<Partial<Book>>(this.file, {});
    return { switch: b.switch ?? {}, attachment: b.attachment ?? {}, capture: b.capture ?? {}, device: b.device ?? {} };
  }

  async owner(kind: OwnedKind, key: string): Promise<number | undefined> {
    return (await this.read())[kind][key];
  }

  async set(kind: OwnedKind, key: string, uid: number): Promise<void> {
    const b = await this.read();
    b[kind][key] = uid;
    await writeJsonAtomic(this.file, b, { mode: 0o600 });
  }

  async drop(kind: OwnedKind, keys: (k: string) => boolean): Promise<void> {
    const b = await this.read();
    const before = Object.keys(b[kind]).length;
    for (const k of Object.keys(b[kind])) if (keys(k)) delete b[kind][k];
    if (Object.keys(b[kind]).length !== before) await writeJsonAtomic(this.file, b, { mode: 0o600 });
  }

  /**
   * Refuses unless `uid` made it (root may change all). Things made before the helper kept
   * records (a root engine sharing the state folder) belong to root.
   */
  async require(kind: OwnedKind, key: string, uid: number, what: string): Promise<void> {
    if (uid === 0) return;
    const owner = (await this.owner(kind, key)) ?? 0;
    if (owner !== uid) {
      throw new NovaError('PERMISSION', `${what} belongs to ${owner === 0 ? 'root' : `uid ${owner}`}: only its creator (or root) may change or remove it. Nothing was changed.`, { owner, fix: `use your own ${kind}` });
    }
  }
}
