// Who is calling, as the kernel says, and what the helper allows them without polkit.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { chmodSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHost } from '../../test/host.js';
import { authorize } from './authz.js';
import { Owners } from './owners.js';
import { peerOf } from './peer.js';
import type { Peer } from './peer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-peer-'));
  await chmod(dir, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Accepts one connection made by `connect` and identifies its peer. */
async function identify(connect: (path: string) => Promise<unknown>): Promise<Peer> {
  const path = join(dir, `s${Math.random().toString(36).slice(2, 8)}.sock`);
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  const server = createServer((s) => accept(s));
  await new Promise<void>((r) => server.listen(path, r));
  chmodSync(path, 0o666);
  const client = connect(path);
  const sock = await accepted;
  const peer = await peerOf(sock);
  sock.destroy();
  server.close();
  await client;
  return peer;
}

describe('peerOf (SO_PEERCRED through nova-peercred)', () => {
  it('identifies this very process: uid, gid, pid and its start time', async () => {
    const { createConnection } = await import('node:net');
    const peer = await identify((path) => new Promise((r) => createConnection(path).on('connect', r).on('error', r)));
    expect(peer).toMatchObject({ uid: process.getuid!(), gid: process.getgid!(), pid: process.pid });
    const stat = readFileSync('/proc/self/stat', 'utf8');
    expect(peer.start).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(peer.groups).toContain(process.getgid!());
    expect(peer.groups.every((g) => Number.isInteger(g))).toBe(true);
  });
});

describeHost('peerOf across users', { root: true, tools: ['setpriv'] }, () => {
  it('a client dropped to nobody is identified as nobody, whatever it sends', async () => {
    const js = `require('net').createConnection(process.argv[1]).on('connect',function(){this.end('{"uid":0}\\n')})`;
    const peer = await identify(
      (path) => new Promise((r) => execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', js, path], () => r(undefined))),
    );
    expect([peer.uid, peer.gid]).toEqual([65534, 65534]);
  });
});

describe('authorize without polkit', () => {
  const user: Peer = { uid: 1234, gid: 1234, pid: process.pid, start: '1', groups: [1234, 777] };
  const noPolkit = { pkcheck: '/nonexistent/pkcheck' };
  it('root always; group members by the fallback; everyone else refused with how to get in', async () => {
    expect(await authorize({ ...user, uid: 0 }, 'org.nova.manage-networks', noPolkit)).toEqual({ allowed: true, via: 'root' });
    expect(await authorize(user, 'org.nova.manage-networks', { ...noPolkit, group: { name: 'nova', gid: 777 } })).toEqual({ allowed: true, via: 'group' });
    expect(await authorize(user, 'org.nova.manage-networks', { ...noPolkit, group: { name: 'nova', gid: 778 } })).toMatchObject({ allowed: false, fix: expect.stringContaining('usermod -aG nova') });
    expect(await authorize(user, 'org.nova.manage-networks', noPolkit)).toMatchObject({ allowed: false, why: expect.stringContaining('no --group fallback') });
  });
});

describe('ownership records', () => {
  it('only the maker (or root) may change a switch; things without a record belong to root', async () => {
    const owners = Owners.in(join(dir, 'state'));
    await owners.set('switch', 'lab', 1000);
    await expect(owners.require('switch', 'lab', 1000, 'network "lab"')).resolves.toBeUndefined();
    await expect(owners.require('switch', 'lab', 0, 'network "lab"')).resolves.toBeUndefined();
    await expect(owners.require('switch', 'lab', 1001, 'network "lab"')).rejects.toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('belongs to uid 1000') });
    await expect(owners.require('switch', 'old', 1000, 'network "old"')).rejects.toMatchObject({ message: expect.stringContaining('belongs to root') });
    await owners.drop('switch', (k) => k === 'lab');
    expect(await owners.owner('switch', 'lab')).toBeUndefined();
  });
});
