// `nova capsule create|run NAME --image REF [-- command…]`: flags → capsule.create.
import type { Command } from 'commander';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import type { CliContext } from '../context.js';
import { collect } from '../output.js';
import { parseEnv } from './capsule-args.js';

const createOpts = (c: Command) =>
  c
    .requiredOption('-i, --image <ref>', 'image ("busybox", "ubuntu:22.04") or a rootfs folder ("./rootfs")')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable; values are secrets)', collect)
    .option('-v, --volume <src:dst[:ro]>', 'bind mount, relative to the current folder (repeatable)', collect)
    .option('--network <name>', 'attach to a Nova network; `none` for loopback only (default: pasta for a user\'s capsule, outbound and -p ports; loopback only for root\'s)')
    .option('-p, --publish <[addr:]host:port>', 'publish a capsule port on the host, e.g. 8080:80 (loopback) or 0.0.0.0:8080:80 (repeatable)', collect)
    .option('--hostname <name>', 'hostname (default: the capsule name)')
    .option('--workdir <dir>', 'working directory')
    .option('--user <uid[:gid]>', 'user to run as')
    .option('--memory <size>', 'memory limit, e.g. 256Mi')
    .option('--cpu <n>', 'CPU limit in CPUs, e.g. 0.5', Number)
    .option('--pids <n>', 'process limit', Number)
    .option('--read-only', 'read-only root filesystem')
    .option('--restart <policy>', 'no, on-failure or always', 'no')
    .option('--runtime <name>', 'auto, crun or runc', 'auto')
    .argument('<name>')
    .argument('[command...]', 'command (after --); default: the image\'s');

type CreateOpts = { image: string; env?: string[]; volume?: string[]; publish?: string[]; network?: string; hostname?: string; workdir?: string; user?: string; memory?: string; cpu?: number; pids?: number; readOnly?: boolean; restart: string; runtime: string };
const createInput = (name: string, command: string[], o: CreateOpts, start: boolean) => ({
  name,
  start,
  baseDir: process.cwd(),
  spec: {
    capsule: o.image,
    ...(command.length ? { command } : {}),
    env: parseEnv(o.env),
    volumes: o.volume ?? [],
    ports: o.publish ?? [],
    ...(o.network ? { network: o.network } : {}),
    ...(o.hostname ? { hostname: o.hostname } : {}),
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user ? { user: o.user } : {}),
    read_only: Boolean(o.readOnly),
    restart: o.restart as 'no',
    runtime: o.runtime as 'auto',
    limits: { ...(o.memory ? { memory: o.memory } : {}), ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.pids ? { pids: o.pids } : {}) },
  },
});

export function registerCapsuleCreate(ctx: CliContext, noun: Command, show: (c: CapsuleInfo) => void): void {
  createOpts(noun.command('create').description('Create a capsule (pulls the image when missing)')).action(async (name: string, command: string[], o: CreateOpts) =>
    show(await ctx.call('capsule.create', createInput(name, command, o, false))),
  );
  createOpts(noun.command('run').description('Create and start a capsule')).action(async (name: string, command: string[], o: CreateOpts) =>
    show(await ctx.call('capsule.create', createInput(name, command, o, true))),
  );
}
