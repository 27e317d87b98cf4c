import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { findBuildOutput } from '../sys/assets.js';

// Who is on the other end of a `nova privd` connection, as the kernel says (SO_PEERCRED through
// native/peercred.c), never as the client says. The start time lets polkit tell this process
// from a later one that reuses its pid.

export interface Peer {
  uid: number;
  gid: number;
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot), for `pkcheck --process PID,START,UID`. */
  start: string;
  /** Supplementary groups of the calling process (the `--group` fallback). */
  groups: number[];
}

export function peercredBinary(): string {
  const bin = findBuildOutput('native/nova-peercred');
  if (!bin) throw new Error('nova-peercred is not built: run `npm run build:native` (needs gcc)');
  return bin;
}

/** Reads SO_PEERCRED of an accepted connection (the helper gets the socket as its fd 3). */
export function peerCred(sock: Socket, binary = peercredBinary()): Promise<{ uid: number; gid: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'pipe', sock] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    // Not 'close': that waits for every stdio stream, and fd 3 is the caller's live connection.
    let exitCode: number | null | undefined;
    let ended = false;
    const done = () => {
      if (exitCode === undefined || !ended) return;
      const m = /^(\d+) (\d+) (\d+)\n$/.exec(out);
      if (exitCode !== 0 || !m) return reject(new Error(`cannot identify the caller: ${err.trim() || `nova-peercred exited ${exitCode}`}`));
      resolve({ uid: Number(m[1]), gid: Number(m[2]), pid: Number(m[3]) });
    };
    child.stdout!.on('end', () => {
      ended = true;
      done();
    });
    child.on('exit', (code) => {
      exitCode = code;
      done();
    });
  });
}

export async function peerOf(sock: Socket, binary?: string): Promise<Peer> {
  const cred = await peerCred(sock, binary);
  const [stat, status] = await Promise.all([readFile(`/proc/${cred.pid}/stat`, 'utf8'), readFile(`/proc/${cred.pid}/status`, 'utf8')]);
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19] ?? '';
  const groups = (/^Groups:[ \t]*(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  // The pid must still be the same caller (SO_PEERCRED reports the effective uid) when we read /proc.
  if (!/^\d+$/.test(start) || effectiveUid(status) !== cred.uid) throw new Error(`caller pid ${cred.pid} changed while being identified`);
  return { ...cred, start, groups: [cred.gid, ...groups] };
}

const effectiveUid = (status: string) => {
  const m = /^Uid:\s*\d+\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
};

/** The uid a process runs as (for "this capsule's netns is the caller's"). */
export async function processUid(pid: number): Promise<number | undefined> {
  return effectiveUid(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
}
