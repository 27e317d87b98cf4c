import { z } from 'zod';
import { networkProcedures, owner } from '../../shared/contract/network.js';
import type { VerbGroup } from '../../shared/contract/privileged.js';
import { ifaceName } from '../../shared/schemas/fields.js';
import { SYSTEM_VERBS } from './system-verbs.js';
import { GPU_VERBS } from './verbs-gpu.js';
import { lazy } from '../../shared/lazy.js';

// The fixed verb set of `nova privd`: each verb has a zod input (the same schemas the engine's
// contract uses, so names, subnets and ports are validated identically) and the verb group whose
// polkit action authorizes it. No verb takes an argv or a path: a capsule's netns is named by
// the pid of a process the caller owns, a TAP is always made for the caller's own uid.

const P = networkProcedures;
const mac = lazy(() => z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i, 'write a MAC like "52:54:00:12:34:56"'));
const ports = lazy(() => P['network.attach'].input.shape.ports);
/** The caller's captures folder: absolute, normalized, printable (and checked to be theirs). */
const captureDir = lazy(() => z
  .string()
  .max(1024)
  .regex(/^\/[^\0\n\r]*$/, 'an absolute path')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.') && !p.includes('//'), 'a normalized absolute path (no . or ..)'));

export const VERBS = {
  'switch.list': { group: undefined, input: lazy(() => z.object({ project: z.string().optional() }).strict().default({})) },
  'switch.inspect': { group: undefined, input: lazy(() => P['network.inspect'].input) },
  'switch.leases': { group: undefined, input: lazy(() => P['network.leases'].input) },
  'switch.create': { group: 'networks', input: lazy(() => P['network.create'].input) },
  'switch.update': { group: 'networks', input: lazy(() => P['network.update'].input) },
  'switch.delete': { group: 'networks', input: lazy(() => P['network.rm'].input) },
  'dns.add': { group: 'networks', input: lazy(() => P['network.dns.add'].input) },
  'dns.rm': { group: 'networks', input: lazy(() => P['network.dns.rm'].input) },
  'attach.tap': {
    group: 'attach',
    input: lazy(() => z.object({ network: P['network.attach'].input.shape.network, owner: owner.extend({ kind: z.literal('vm') }), mac: mac.optional(), ip: P['network.attach'].input.shape.ip, ports }).strict()),
  },
  'attach.veth': {
    group: 'attach',
    input: lazy(() => z
      .object({
        network: P['network.attach'].input.shape.network,
        owner: owner.extend({ kind: z.literal('capsule') }),
        /** A process of the caller inside the capsule: the veth goes into its network namespace. */
        pid: z.number().int().min(2),
        mac: mac.optional(),
        peer: ifaceName.optional(),
        ports,
      })
      .strict()),
  },
  detach: { group: 'attach', input: lazy(() => P['network.detach'].input) },
  'capture.start': {
    group: 'capture',
    // tcpdump drops to the caller (-Z) before it opens the file: `dir` is only ever written with the caller's own rights.
    input: lazy(() => P['network.capture.start'].input.extend({ dir: captureDir })),
  },
  'capture.stop': { group: 'capture', input: lazy(() => z.object({ id: z.string().max(64), dir: captureDir }).strict()) },
  'forward.add': { group: 'attach', input: lazy(() => P['network.forward.add'].input) },
  'forward.rm': { group: 'attach', input: lazy(() => P['network.forward.rm'].input) },
  ...GPU_VERBS,
  ...SYSTEM_VERBS,
} satisfies Record<string, { group: VerbGroup | undefined; input: z.ZodType }>;

export type Verb = keyof typeof VERBS;
export type VerbInput<V extends Verb> = z.input<(typeof VERBS)[V]['input']>;
export type ParsedVerbInput<V extends Verb> = z.output<(typeof VERBS)[V]['input']>;
export const isVerb = (v: unknown): v is Verb => typeof v === 'string' && Object.hasOwn(VERBS, v);

/** Answers of the verbs that change a switch carry its state, so the caller keeps its own copy. */
export interface Changed<T> {
  value: T;
  /** The switch after the change, when the caller made it (their definition in their XDG data). */
  state?: unknown;
  /** The switch was removed. */
  removed?: string;
}
