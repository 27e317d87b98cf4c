// The contract: every method Nova offers, the same over the CLI, Electron IPC and WebSocket.
// Method names are `noun.verb` so `nova vm start x` maps to `vm.start`. Each backend keeps its
// procedures in contract/<area>.ts; this file only gathers them.
import type { z } from 'zod';
import { capsuleProcedures } from './contract/capsule.js';
import { hostProcedures } from './contract/host.js';
import { networkProcedures } from './contract/network.js';
import { novafileProcedures } from './contract/novafile.js';
import { novafileApplyProcedures } from './contract/novafile-apply.js';
import { prefsProcedures } from './contract/prefs.js';
import { resourceProcedures } from './contract/resource.js';
import { taskProcedures } from './contract/task.js';
import { vmProcedures } from './contract/vm.js';
import { gpuProcedures } from './contract/gpu.js';
import { supportProcedures } from './contract/support.js';
import { systemProcedures } from './contract/system.js';
import { storageProcedures } from './contract/storage.js';
import { terminalProcedures } from './contract/terminal.js';
import { osImageProcedures } from './contract/osimage.js';
import { remoteHostProcedures } from './contract/hosts.js';
import { autostartProcedures } from './contract/autostart.js';
import { usbProcedures } from './contract/usb.js';
import { clusterProcedures } from './contract/cluster.js';
import { xmigrateProcedures } from './contract/xmigrate.js';

export const procedures = {
  ...hostProcedures,
  ...resourceProcedures,
  ...novafileProcedures,
  ...novafileApplyProcedures,
  ...taskProcedures,
  ...prefsProcedures,
  ...networkProcedures,
  ...vmProcedures,
  ...capsuleProcedures,
  ...gpuProcedures,
  ...supportProcedures,
  ...systemProcedures,
  ...storageProcedures,
  ...terminalProcedures,
  ...osImageProcedures,
  ...remoteHostProcedures,
  ...autostartProcedures,
  ...usbProcedures,
  ...clusterProcedures,
  ...xmigrateProcedures,
};

export type Procedures = typeof procedures;
export type Method = keyof Procedures;
/** What a caller may send (defaults optional). */
export type Input<M extends Method> = z.input<Procedures[M]['input']>;
/** What a handler receives after validation (defaults applied). */
export type ParsedInput<M extends Method> = z.output<Procedures[M]['input']>;
export type Output<M extends Method> = z.output<Procedures[M]['output']>;

export const isMethod = (m: string): m is Method => Object.prototype.hasOwnProperty.call(procedures, m);

export { events } from './contract/events.js';
export type { EventName, EventPayload } from './contract/events.js';
export * from './errors.js';
