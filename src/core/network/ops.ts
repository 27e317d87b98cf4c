import type { z } from 'zod';
import type { captureInfo, dnsRecord, NetworkInfo, NetworkOwner } from '../../shared/contract/network.js';
import type { networkSpec } from '../../shared/schemas/novafile.js';
import type { AttachInput, AttachResult } from './attach.js';
import type { HydrateReport } from './hydrate.js';

// The network steps that need CAP_NET_ADMIN, as one interface with two implementations: direct
// (this process holds the capabilities: root on a server, CI) and through `nova privd` (the
// desktop user). The network module's handlers only ever call this.

export type SpecInput = z.input<typeof networkSpec>;
export type CaptureInfo = z.infer<typeof captureInfo>;
export interface CaptureStart {
  network: string;
  duration?: number;
  filter?: string;
  interface?: string;
}

/** A DHCP lease or a static reservation (network.leases). */
export interface LeaseRow {
  mac: string;
  ip: string;
  hostname?: string;
  expires?: number;
  static: boolean;
}

export interface NetworkOps {
  readonly via: 'direct' | 'helper';
  create(name: string, spec: SpecInput, project?: string): Promise<NetworkInfo>;
  update(name: string, spec: SpecInput, project?: string): Promise<NetworkInfo>;
  remove(name: string, force: boolean): Promise<void>;
  hydrate(): Promise<HydrateReport>;
  /** Hydrate and the states it leaves, derived without reading again what it just wrote (direct only). */
  hydrateListed?(): Promise<{ report: HydrateReport; infos: NetworkInfo[] }>;
  attach(input: AttachInput): Promise<AttachResult>;
  detach(network: string, owner: NetworkOwner, release: boolean): Promise<void>;
  addForward(network: string, owner: NetworkOwner, port: string): Promise<void>;
  removeForward(network: string, owner: NetworkOwner, port: string): Promise<void>;
  addRecord(network: string, record: z.infer<typeof dnsRecord>): Promise<void>;
  removeRecord(network: string, name: string): Promise<void>;
  /** Switches with their state derived from the host (the helper's view when through it). */
  list(project?: string): Promise<NetworkInfo[]>;
  inspect(name: string): Promise<NetworkInfo>;
  leases(name: string): Promise<LeaseRow[]>;
  startCapture(o: CaptureStart): Promise<CaptureInfo>;
  stopCapture(id: string): Promise<CaptureInfo>;
}
