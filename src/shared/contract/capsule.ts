import { z } from 'zod';
import { resourceName } from '../names.js';
import { containerSpec } from '../schemas/novafile.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Capsules (OCI containers on crun/runc) and their images.

// crashed: ended by a signal, OOM, or with its supervisor, without a stop through Nova.
export const CAPSULE_STATES = ['created', 'running', 'paused', 'restarting', 'exited', 'crashed', 'unknown'] as const;
export const capsuleState = lazy(() => z.enum(CAPSULE_STATES));

export const capsuleExit = lazy(() => z.object({
  code: z.number().int(),
  /** Signal name when the process was killed by one (SIGKILL after an OOM or a stop). */
  signal: z.string().optional(),
  at: z.number(),
  /** True when the kernel OOM killer killed a process of the capsule during that run. */
  oomKilled: z.boolean().optional(),
}));

export const capsuleInfo = lazy(() => z.object({
  name: z.string(),
  id: z.string(),
  project: z.string().optional(),
  /** The normalized NovaFile section (env values redacted unless `secrets: true` was asked). */
  spec: containerSpec,
  baseDir: z.string(),
  state: capsuleState,
  reason: z.string().optional(),
  runtime: z.enum(['crun', 'runc']),
  image: z.object({ ref: z.string(), digest: z.string().optional() }),
  pid: z.number().int().optional(),
  startedAt: z.number().optional(),
  exit: capsuleExit.optional(),
  restarts: z.number().int(),
  createdAt: z.number(),
  /** Runs in a user namespace of the engine's user (root there is that user). */
  rootless: z.boolean().optional(),
  /** Set when limits cannot be enforced for this capsule, with why (e.g. no cgroup delegation). */
  limitsNote: z.string().optional(),
  network: z
    .object({ name: z.string(), netns: z.string(), ip: z.string().optional(), ifname: z.string().optional(), dns: z.array(z.string()).optional() })
    .optional(),
}));
export type CapsuleInfo = z.infer<typeof capsuleInfo>;

export const capsuleStats = lazy(() => z.object({
  name: z.string(),
  at: z.number(),
  cpuUsageNs: z.number(),
  /** CPU use since the previous sample in this engine, in % of one core. */
  cpuPercent: z.number().optional(),
  memoryBytes: z.number(),
  memoryLimitBytes: z.number().optional(),
  memoryMaxBytes: z.number().optional(),
  oomKills: z.number(),
  pids: z.number(),
  pidsLimit: z.number().optional(),
  ioReadBytes: z.number(),
  ioWriteBytes: z.number(),
}));
export type CapsuleStats = z.infer<typeof capsuleStats>;

export const logLine = lazy(() => z.object({ at: z.number(), stream: z.enum(['stdout', 'stderr']), line: z.string() }));
export const snapshotInfo = lazy(() => z.object({ capsule: z.string(), tag: z.string(), createdAt: z.number(), sizeBytes: z.number(), file: z.string() }));

export const imageInfo = lazy(() => z.object({
  /** Fully qualified reference, e.g. "docker.io/library/busybox:latest". */
  ref: z.string(),
  digest: z.string(),
  source: z.enum(['pull', 'import']),
  sizeBytes: z.number(),
  layers: z.number().int(),
  createdAt: z.number(),
  config: z.object({
    cmd: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    env: z.array(z.string()).optional(),
    workdir: z.string().optional(),
    user: z.string().optional(),
  }),
  usedBy: z.array(z.string()),
}));
export type ImageInfo = z.infer<typeof imageInfo>;

const nameInput = lazy(() => z.object({ name: resourceName }).strict());
const snapTag = lazy(() => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use letters, digits, ".", "_" or "-" (e.g. "before-upgrade")'));
const imageRef = lazy(() => z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/, 'write an image like "busybox", "ubuntu:22.04" or "registry.example:5000/app:1"'));

/** What both exec procedures share: which capsule, the command, and how to run it there. */
const execTarget = lazy(() => z.object({
  name: resourceName,
  command: z.array(z.string()).min(1),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  workdir: z.string().startsWith('/').optional(),
  user: z.string().regex(/^\d+(:\d+)?$/, 'write a numeric user like "1000" or "1000:1000"').optional(),
}));

export const capsuleProcedures = {
  'capsule.create': procedure({
    summary: 'Create a capsule from a [container.NAME] section (pulls the image when missing); start: true runs it',
    input: lazy(() => z
      .object({ name: resourceName, spec: containerSpec, project: resourceName.optional(), baseDir: z.string().optional(), start: z.boolean().default(false) })
      .strict()),
    output: capsuleInfo,
  }),
  'capsule.update': procedure({
    summary: 'Change restart policy and limits in place (limits live on a running capsule); other fields need a new capsule',
    input: lazy(() => z.object({ name: resourceName, spec: containerSpec, project: resourceName.optional(), baseDir: z.string().optional() }).strict()),
    output: capsuleInfo,
  }),
  'capsule.inspect': procedure({
    summary: 'One capsule: spec, state derived from the runtime and its supervisor, exit code',
    input: lazy(() => z.object({ name: resourceName, secrets: z.boolean().default(false) }).strict()),
    output: capsuleInfo,
  }),
  'capsule.list': procedure({
    summary: 'All capsules with their state',
    input: lazy(() => z.object({ project: z.string().optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(capsuleInfo) })),
  }),
  'capsule.start': procedure({ summary: 'Start a capsule (mount its root, run it under a supervisor)', input: nameInput, output: capsuleInfo }),
  'capsule.stop': procedure({
    summary: 'Stop a capsule: SIGTERM, then SIGKILL after the grace period',
    input: lazy(() => z.object({ name: resourceName, timeout: z.number().min(0).max(3600).default(10) }).strict()),
    output: capsuleInfo,
  }),
  'capsule.restart': procedure({
    summary: 'Stop (with grace) and start again',
    input: lazy(() => z.object({ name: resourceName, timeout: z.number().min(0).max(3600).default(10) }).strict()),
    output: capsuleInfo,
  }),
  'capsule.kill': procedure({
    summary: 'Send a signal to the capsule\'s process (default SIGKILL)',
    input: lazy(() => z.object({ name: resourceName, signal: z.string().regex(/^(SIG)?[A-Z0-9]+$/, 'write a signal like "TERM", "SIGHUP" or "9"').default('KILL') }).strict()),
    output: capsuleInfo,
  }),
  'capsule.pause': procedure({ summary: 'Freeze every process of a capsule', input: nameInput, output: capsuleInfo }),
  'capsule.resume': procedure({ summary: 'Thaw a paused capsule', input: nameInput, output: capsuleInfo }),
  'capsule.rm': procedure({
    summary: 'Delete a capsule, its root overlay, logs and snapshots (force stops it first)',
    input: lazy(() => z.object({ name: resourceName, force: z.boolean().default(false) }).strict()),
    output: lazy(() => z.object({ name: z.string(), removed: z.boolean() })),
  }),
  'capsule.logs': procedure({
    summary: 'Captured stdout/stderr lines with timestamps; pass the returned cursor back to follow',
    input: lazy(() => z
      .object({
        name: resourceName,
        /** Unix ms, or a duration like "10m" / "2h" back from now. */
        since: z.union([z.number(), z.string().regex(/^\d+(ms|s|m|h|d)$/, 'write a duration like "10m" or "2h"')]).optional(),
        tail: z.number().int().min(1).optional(),
        cursor: z.number().int().min(0).optional(),
      })
      .strict()),
    output: lazy(() => z.object({ lines: z.array(logLine), cursor: z.number().int(), running: z.boolean() })),
  }),
  'capsule.exec': procedure({
    summary: 'Run a command inside a running capsule and return its output and exit code',
    input: lazy(() => execTarget.extend({ stdin: z.string().optional(), timeoutMs: z.number().int().min(100).max(3_600_000).default(60_000) }).strict()),
    output: lazy(() => z.object({ exitCode: z.number().int(), stdout: z.string(), stderr: z.string() })),
  }),
  'capsule.execArgv': procedure({
    summary: 'Check an interactive exec (capsule running, user, env) and return the runtime argv the caller runs with its own terminal attached',
    input: lazy(() => execTarget.extend({ tty: z.boolean().default(false) }).strict()),
    output: lazy(() => z.object({ argv: z.array(z.string()).min(2), runtime: z.enum(['crun', 'runc']) })),
  }),
  'capsule.stats': procedure({ summary: 'CPU, memory, pids and io from the capsule\'s cgroups (also published as metrics.sample)', input: nameInput, output: capsuleStats }),
  'capsule.snapshot.create': procedure({
    summary: 'Pause, archive the capsule\'s writable layer (overlay xattrs kept, zstd), resume',
    input: lazy(() => z.object({ name: resourceName, tag: snapTag.optional() }).strict()),
    output: snapshotInfo,
  }),
  'capsule.snapshot.list': procedure({ summary: 'Snapshots of a capsule', input: nameInput, output: lazy(() => z.object({ items: z.array(snapshotInfo) })) }),
  'capsule.snapshot.restore': procedure({
    summary: 'Roll the capsule\'s writable layer back to a snapshot (stops and restarts it when running)',
    input: lazy(() => z.object({ name: resourceName, tag: snapTag, timeout: z.number().min(0).max(3600).default(10) }).strict()),
    output: capsuleInfo,
  }),
  'capsule.snapshot.rm': procedure({
    summary: 'Delete a snapshot',
    input: lazy(() => z.object({ name: resourceName, tag: snapTag }).strict()),
    output: lazy(() => z.object({ capsule: z.string(), tag: z.string(), removed: z.boolean() })),
  }),
  'image.pull': procedure({
    summary: 'Pull an image (docker:// via skopeo) into the local OCI store, with progress',
    input: lazy(() => z.object({ ref: imageRef, insecure: z.boolean().optional() }).strict()),
    output: imageInfo,
  }),
  'image.import': procedure({
    summary: 'Import a root filesystem (directory or tarball) as an image',
    input: lazy(() => z
      .object({
        source: z.string().min(1),
        name: imageRef,
        baseDir: z.string().optional(),
        cmd: z.array(z.string()).optional(),
      })
      .strict()),
    output: imageInfo,
  }),
  'image.list': procedure({ summary: 'Images in the local store', input: lazy(() => z.object({}).strict().default({})), output: lazy(() => z.object({ items: z.array(imageInfo) })) }),
  'image.inspect': procedure({ summary: 'One image of the local store', input: lazy(() => z.object({ ref: imageRef }).strict()), output: imageInfo }),
  'image.rm': procedure({
    summary: 'Remove an image (refused while a capsule uses it unless force)',
    input: lazy(() => z.object({ ref: imageRef, force: z.boolean().default(false) }).strict()),
    output: lazy(() => z.object({ ref: z.string(), removed: z.boolean() })),
  }),
};
