// Runs inside the test guest (a real Linux kernel with an emulated intel-iommu): Nova's own
// inventory and bind/unbind code against the guest's real /sys. Bundled by guest.test.ts.
import { readlink } from 'node:fs/promises';
import { GpuService } from '../service.js';
import { resolvePaths } from '../../sys/paths.js';
import { realSysfsWriter } from '../writer.js';

const addr = process.argv[2] ?? '0000:00:03.0';
const companion = addr.replace(/\.0$/, '.1');
const driverOf = (a: string) => readlink(`/sys/bus/pci/devices/${a}/driver`).then((l) => l.split('/').pop(), () => null);
const driver = async () => ({ gpu: await driverOf(addr), audio: await driverOf(companion) });
const svc = new GpuService({ root: '/sys', paths: resolvePaths({ NOVA_HOME: '/tmp/nova' }), writer: realSysfsWriter() });
const report: Record<string, unknown> = {};
try {
  const list = await svc.list();
  report.iommu = list.iommu;
  report.gpu = list.gpus.map((g) => ({ address: g.address, name: g.name, driver: g.driver ?? null, group: g.iommuGroup ?? null, status: g.status, companions: g.companions.map((c) => c.address), members: g.groupMembers.map((m) => m.address) }));
  report.before = await driver();
  report.bind = await svc.act('bind', [addr]);
  report.afterBind = await driver();
  report.unbind = await svc.act('unbind', [addr]);
  report.afterUnbind = await driver();
} catch (e) {
  report.error = String((e as Error).stack ?? e);
}
process.stdout.write(`\nNOVA-GUEST-REPORT ${JSON.stringify(report)}\n`);
