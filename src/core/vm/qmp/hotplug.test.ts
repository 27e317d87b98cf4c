// NIC hot-plug over QMP against a scripted QEMU on a real unix socket: the peer keeps a PCI tree
// (root ports with or without a device behind them) and answers query-pci, netdev_add,
// device_add, device_del (DEVICE_DELETED later, as a guest's hot-plug driver does) and netdev_del.
// The real guest run is src/core/vm/hotplug.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpProtocol } from './protocol.js';
import { freeHotplugPorts, plugNic, unplugNic } from './hotplug.js';

const line = (v: unknown) => `${JSON.stringify(v)}\n`;
interface Command { execute: string; arguments?: Record<string, unknown>; id: string }

let dir: string;
let server: Server | undefined;
const peers: Socket[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-hp-'));
});
afterEach(async () => {
  for (const s of peers.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

interface FakeQemu {
  /** Root port id → device id behind it (undefined: free). */
  ports: Map<string, string | undefined>;
  netdevs: Set<string>;
  seen: Command[];
  /** ms before DEVICE_DELETED follows device_del; undefined: the guest never lets go. */
  releaseMs?: number;
  /** device_add fails with this desc. */
  failDeviceAdd?: string;
  /** Send DEVICE_DELETED before the device_del reply (the race the poll covers). */
  eventFirst?: boolean;
}

async function fakeQemu(f: Omit<FakeQemu, 'seen' | 'netdevs'> & { netdevs?: Set<string> }): Promise<{ path: string; q: FakeQemu }> {
  const q: FakeQemu = { ...f, netdevs: f.netdevs ?? new Set(), seen: [] };
  const path = join(dir, 'qmp.sock');
  const pci = () => [{
    bus: 0,
    devices: [
      { bus: 0, slot: 1, function: 0, qdev_id: 'video0' },
      ...[...q.ports].map(([id, dev], i) => ({
        bus: 0, slot: 2 + i, function: 0, qdev_id: id,
        pci_bridge: { bus: { number: i + 1 }, devices: dev ? [{ bus: i + 1, slot: 0, function: 0, qdev_id: dev }] : [] },
      })),
    ],
  }];
  server = createServer((sock) => {
    peers.push(sock);
    sock.setEncoding('utf8');
    sock.write(line({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } }));
    let buf = '';
    const ok = (c: Command, v: unknown = {}) => sock.write(line({ return: v, id: c.id }));
    const err = (c: Command, cls: string, desc: string) => sock.write(line({ error: { class: cls, desc }, id: c.id }));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const c = JSON.parse(buf.slice(0, nl)) as Command;
        buf = buf.slice(nl + 1);
        q.seen.push(c);
        const a = c.arguments ?? {};
        if (c.execute === 'qmp_capabilities') ok(c);
        else if (c.execute === 'query-pci') ok(c, pci());
        else if (c.execute === 'netdev_add') {
          q.netdevs.add(String(a.id));
          ok(c);
        } else if (c.execute === 'netdev_del') {
          if (!q.netdevs.delete(String(a.id))) err(c, 'GenericError', `Device '${String(a.id)}' not found`);
          else ok(c);
        } else if (c.execute === 'device_add') {
          if (q.failDeviceAdd) err(c, 'GenericError', q.failDeviceAdd);
          else {
            q.ports.set(String(a.bus), String(a.id));
            ok(c);
          }
        } else if (c.execute === 'device_del') {
          const port = [...q.ports].find(([, d]) => d === a.id)?.[0];
          if (!port) err(c, 'DeviceNotFound', `Device '${String(a.id)}' not found`);
          else {
            const release = () => {
              q.ports.set(port, undefined);
              sock.write(line({ event: 'DEVICE_DELETED', data: { device: a.id, path: `/machine/peripheral/${String(a.id)}` } }));
            };
            if (q.eventFirst) {
              q.ports.set(port, undefined); // gone at once, event written before we could listen for it… then the reply
              ok(c);
            } else {
              ok(c);
              if (q.releaseMs !== undefined) setTimeout(release, q.releaseMs);
            }
          }
        } else err(c, 'CommandNotFound', `The command ${c.execute} has not been found`);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(path, r));
  return { path, q };
}

const nic = { network: 'lab', ifname: 'nv-lab-1', mac: '52:54:00:aa:bb:cc', model: 'virtio-net-pci' as const };

describe('NIC hot-plug over QMP', () => {
  it('plugs the TAP backend, then the device on the first spare root port', async () => {
    const { path, q } = await fakeQemu({ ports: new Map([['hp0', 'nic-other'], ['hp1', undefined], ['hp2', undefined], ['vfio-rp0', undefined]]) });
    const qmp = await QmpProtocol.connect(path);
    try {
      expect(await freeHotplugPorts(qmp)).toEqual(['hp1', 'hp2']); // vfio-rp0 is not a hot-plug port
      const r = await plugNic(qmp, nic);
      expect(r).toEqual({ device: 'nic-lab', netdev: 'net-lab', port: 'hp1' });
      const cmds = q.seen.filter((c) => c.execute.endsWith('_add'));
      expect(cmds.map((c) => [c.execute, c.arguments])).toEqual([
        ['netdev_add', { type: 'tap', id: 'net-lab', ifname: 'nv-lab-1', script: 'no', downscript: 'no' }],
        ['device_add', { driver: 'virtio-net-pci', id: 'nic-lab', netdev: 'net-lab', mac: '52:54:00:aa:bb:cc', bus: 'hp1' }],
      ]);
      expect(await freeHotplugPorts(qmp)).toEqual(['hp2']);
      // The same network twice is a CONFLICT, not a second device.
      await expect(plugNic(qmp, nic)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already plugged') });
    } finally {
      qmp.close();
    }
  });

  it('no spare port is a CONFLICT that adds nothing; a failed device_add removes its backend again', async () => {
    const { path, q } = await fakeQemu({ ports: new Map([['hp0', 'nic-x']]) });
    const qmp = await QmpProtocol.connect(path);
    try {
      await expect(plugNic(qmp, nic)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('no spare PCIe root port') });
      expect(q.seen.some((c) => c.execute === 'netdev_add')).toBe(false);
      q.ports.set('hp1', undefined);
      q.failDeviceAdd = "Bus 'hp1' does not support hotplugging";
      await expect(plugNic(qmp, nic)).rejects.toMatchObject({ message: expect.stringContaining('does not support hotplugging') });
      expect(q.netdevs.size).toBe(0);
      expect(q.seen.map((c) => c.execute)).toContain('netdev_del');
    } finally {
      qmp.close();
    }
  });

  it('unplug waits for DEVICE_DELETED before removing the backend', async () => {
    const { path, q } = await fakeQemu({ ports: new Map([['hp0', 'nic-lab']]), netdevs: new Set(['net-lab']), releaseMs: 400 });
    const qmp = await QmpProtocol.connect(path);
    try {
      const t0 = Date.now();
      expect(await unplugNic(qmp, 'lab', { pollMs: 60_000 })).toEqual({ removed: true });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(350); // not before the guest let go
      const order = q.seen.map((c) => c.execute).filter((c) => c === 'device_del' || c === 'netdev_del');
      expect(order).toEqual(['device_del', 'netdev_del']);
      expect(q.netdevs.size).toBe(0);
      expect(await freeHotplugPorts(qmp)).toEqual(['hp0']);
    } finally {
      qmp.close();
    }
  });

  it('a missed event is caught by polling query-pci; a guest that never lets go is a TIMEOUT and the backend stays', async () => {
    const { path, q } = await fakeQemu({ ports: new Map([['hp0', 'nic-lab']]), netdevs: new Set(['net-lab']), eventFirst: true });
    const qmp = await QmpProtocol.connect(path);
    try {
      expect(await unplugNic(qmp, 'lab', { pollMs: 50 })).toEqual({ removed: true });
      q.eventFirst = false;
      q.releaseMs = undefined;
      q.ports.set('hp0', 'nic-lab');
      q.netdevs.add('net-lab');
      await expect(unplugNic(qmp, 'lab', { timeoutMs: 300, pollMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('did not release NIC nic-lab') });
      expect(q.netdevs.has('net-lab')).toBe(true);
      // Nothing plugged for that network: only the backend (if any) goes.
      q.ports.set('hp0', undefined);
      expect(await unplugNic(qmp, 'lab')).toEqual({ removed: false });
      expect(q.netdevs.size).toBe(0);
    } finally {
      qmp.close();
    }
  });
});
