import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Other Nova hosts, reached over SSH: an OpenSSH forward to the remote `nova serve --socket`
// (a 0600 unix socket), host keys pinned when the host is added. `host.info` is this host's facts.

export const remoteHostName = lazy(() => z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'host name: 1-32 lowercase letters, digits or "-", starting with a letter or digit, e.g. "homelab"'));

/** `ssh://user@address[:port][/remote/socket/path]`; the path is where `nova serve --socket` listens there. */
export const sshUrl = lazy(() => z.string().min(6).max(300).regex(/^ssh:\/\//, 'url: ssh://user@address[:port][/path/of/serve.sock], e.g. ssh://nova@10.0.0.2/run/user/1000/nova/serve.sock'));

export const hostKey = lazy(() => z.object({
  type: z.string(),
  /** OpenSSH's form: SHA256:base64 (as `ssh-keygen -lf` prints it). */
  fingerprint: z.string(),
}));

export const hostUsage = lazy(() => z.object({
  /** Nova's version there (hosts of different versions refuse each other). */
  version: z.string(),
  hostname: z.string(),
  cpus: z.number().int(),
  /** 1-minute load average. */
  load1: z.number(),
  /** CPUs not busy by the load average (cpus − load1, at least 0). */
  cpuFree: z.number(),
  memoryTotalBytes: z.number(),
  memoryAvailableBytes: z.number(),
}));

export const remoteHost = lazy(() => z.object({
  name: z.string(),
  url: z.string(),
  user: z.string(),
  address: z.string(),
  port: z.number().int(),
  socket: z.string(),
  keys: z.array(hostKey),
  addedAt: z.number(),
  reachable: z.boolean(),
  /** Why it is not reachable (or refused: host key changed, version skew), with the fix. */
  error: z.string().optional(),
  version: z.string().optional(),
  hostname: z.string().optional(),
  accelerator: z.enum(['kvm', 'tcg', 'none']).optional(),
  usage: hostUsage.optional(),
  /** Round trip of one call through the SSH forward, ms. */
  latencyMs: z.number().optional(),
}));
export type RemoteHost = z.infer<typeof remoteHost>;

export const remoteHostProcedures = {
  'host.usage': procedure({
    summary: 'This host\'s CPUs, load and memory available now (what other hosts show as free)',
    input: lazy(() => z.object({}).strict().default({})),
    output: hostUsage,
  }),
  'host.list': procedure({
    summary: 'Remote Nova hosts: reachable or why not, Nova version, KVM or TCG, free CPU and memory',
    /** `probe: false`: only what is stored, at once (reachable false, no error) — the app then probes each host on its own. */
    input: lazy(() => z.object({ name: remoteHostName.optional(), probe: z.boolean().optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(remoteHost) })),
  }),
  'host.scan': procedure({
    summary: 'The SSH host keys an address offers (to confirm before `host.add` pins one)',
    input: lazy(() => z.object({ url: sshUrl }).strict()),
    output: lazy(() => z.object({ address: z.string(), port: z.number().int(), keys: z.array(hostKey) })),
  }),
  'host.add': procedure({
    summary: 'Add a remote Nova host over SSH: its host keys are pinned when one matches the confirmed fingerprint, then its API is reached',
    input: lazy(() => z.object({ name: remoteHostName, url: sshUrl, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'fingerprint: SHA256:… as `ssh-keygen -lf` or `host.scan` shows it') }).strict()),
    output: remoteHost,
  }),
  'host.remove': procedure({
    summary: 'Forget a remote host and its pinned keys (nothing changes on that host)',
    input: lazy(() => z.object({ name: remoteHostName }).strict()),
    output: lazy(() => z.object({ name: z.string(), removed: z.boolean() })),
  }),
  // Kept beside the hosts it needs (not in contract/vm.ts): the cross-host migration's first step.
  'vm.migrate.preflight': procedure({
    summary: 'Check that a running VM can live-migrate to a remote host (memory, disk, switches, QEMU, KVM, GPU; UEFI: the same OVMF build there; TPM: swtpm there), each problem with its fix',
    input: lazy(() => z.object({ name: z.string().min(1), to: remoteHostName }).strict()),
    output: lazy(() => z.object({
      name: z.string(),
      to: z.string(),
      ok: z.boolean(),
      problems: z.array(z.string()),
      memoryBytes: z.number(),
      diskBytes: z.number(),
      networks: z.array(z.string()),
      /** What moves besides the disks and RAM (a UEFI VM's variable store, a TPM's state). */
      carries: z.array(z.string()).optional(),
    })),
  }),
  'host.call': procedure({
    summary: 'Call a procedure of a remote host\'s engine (same contract, same version)',
    input: lazy(() => z.object({ host: remoteHostName, method: z.string().regex(/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/), input: z.unknown().optional(), timeoutMs: z.number().int().min(100).max(3_600_000).optional() }).strict()),
    /** `value`: the remote procedure's output (checked by the remote host against the same contract). */
    output: lazy(() => z.object({ value: z.unknown() })),
  }),
};
