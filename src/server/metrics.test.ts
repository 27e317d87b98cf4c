// Prometheus /metrics of `nova serve`, read by clients Nova did not write: Debian's `promtool check
// metrics` on every scrape, and a real `prometheus` scraping the server with its token. Values are
// checked against the engine's own answers (vm.stats, capsule.inspect) taken around the scrape, so
// an endpoint that reports a wrong state, unit or counter fails here.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../core/engine.js';
import { busyboxRootfs, freePort, unmountUnder } from '../test/capsule-fixtures.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../test/guest.js';
import { describeHost, missing, tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { waitFor } from '../test/wait.js';
import { metricsFor } from './metrics.js';
import { parseListen, startMetricsListener } from './metrics-http.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format, enough for these checks (no escapes in our label values). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const one = (samples: Sample[], name: string, labels: Record<string, string> = {}): number => {
  const f = find(samples, name, labels);
  if (f.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${f.length} series`);
  return f[0]!.value;
};

/** `promtool check metrics` (Debian's prometheus package) on an exposition; its complaints, or ''. */
function promtool(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || String(e);
  }
}

const noPromtool = missing({ tools: ['promtool'] });

describe('/metrics: access, RPC counters, exposition', () => {
  let home: TempHome;
  let engine: Engine;
  let server: RunningServer;
  const get = (path: string, headers: Record<string, string> = {}, base = server.url) => fetch(`${base}${path}`, { headers });
  const scrape = async () => {
    const r = await get('/metrics', { authorization: `Bearer ${server.token}` });
    expect(r.status).toBe(200);
    return r.text();
  };
  const rpc = (method: string, params: unknown) =>
    fetch(`${server.url}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });

  beforeAll(async () => {
    home = await tempHome('nova-metrics-');
    engine = home.engine();
    metricsFor(engine);
    server = await startServer({ engine });
  });
  afterAll(async () => {
    await server?.close();
    metricsFor(engine).close();
    await home?.cleanup();
  });

  it('answers with the token only; foreign Host and Origin are refused', async () => {
    const none = await get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toMatch(/nova_/);
    expect((await get('/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get('/metrics', { authorization: `Bearer ${server.token}`, origin: 'http://evil.example' })).status).toBe(403);
    // fetch cannot set Host; a raw request can.
    const raw = await new Promise<string>((resolve, reject) => {
      void import('node:net').then(({ connect }) => {
        const s = connect(server.port, '127.0.0.1', () => s.end(`GET /metrics HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${server.token}\r\nConnection: close\r\n\r\n`));
        let buf = '';
        s.on('data', (d) => (buf += String(d)));
        s.on('end', () => resolve(buf));
        s.on('error', reject);
      });
    });
    expect(raw).toMatch(/^HTTP\/1\.1 421/);
    const ok = await get('/metrics', { authorization: `Bearer ${server.token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await fetch(`${server.url}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })).status).toBe(405);
  });

  it('reuses the GPU inventory between scrapes until a GPU event drops it', async () => {
    let scans = 0;
    const off = engine.dispatcher.observe((method) => void (method === 'gpu.list' && scans++));
    try {
      await scrape();
      const first = scans;
      await scrape();
      expect(scans).toBe(first); // the cached inventory, no second PCI scan
      engine.bus.emit('gpu.changed', { address: '0000:00:02.0', action: 'bind', ok: true });
      await scrape();
      expect(scans).toBe(first + 1);
    } finally {
      off();
    }
  });

  it('counts every client call by method, transport and outcome, and not the scrape\'s own reads', async () => {
    for (let i = 0; i < 3; i++) expect((await rpc('vm.list', {})).status).toBe(200);
    await rpc('vm.inspect', { name: 'nope' }); // NOT_FOUND
    // Not a method (JSON-RPC refuses it before the dispatcher; a face that does not): one "unknown" label, never the caller's string.
    await engine.dispatcher.call('vm.launch-missiles', {}, { transport: 'http' });
    await engine.dispatcher.call('capsule.list', {});
    const s = parse(await scrape());
    expect(one(s, 'nova_rpc_requests_total', { method: 'vm.list', transport: 'http', code: 'OK' })).toBe(3);
    expect(one(s, 'nova_rpc_requests_total', { method: 'vm.inspect', transport: 'http', code: 'NOT_FOUND' })).toBe(1);
    expect(one(s, 'nova_rpc_requests_total', { method: 'unknown', transport: 'http', code: 'NOT_FOUND' })).toBe(1);
    expect(find(s, 'nova_rpc_requests_total', { method: 'vm.launch-missiles' })).toHaveLength(0);
    expect(one(s, 'nova_rpc_requests_total', { method: 'capsule.list', transport: 'inproc', code: 'OK' })).toBe(1);
    expect(one(s, 'nova_rpc_request_duration_seconds_count', { method: 'vm.list', transport: 'http' })).toBe(3);
    expect(one(s, 'nova_rpc_request_duration_seconds_bucket', { method: 'vm.list', transport: 'http', le: '+Inf' })).toBe(3);
    const sum = one(s, 'nova_rpc_request_duration_seconds_sum', { method: 'vm.list', transport: 'http' });
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(10);
    // The scrape read vm.list itself (twice now): none of that is counted.
    expect(find(s, 'nova_rpc_requests_total', { method: 'vm.list', transport: 'inproc' })).toHaveLength(0);
    const again = parse(await scrape());
    expect(one(again, 'nova_rpc_requests_total', { method: 'vm.list', transport: 'http', code: 'OK' })).toBe(3);
  });

  it('reports the host and every collector as read', async () => {
    const s = parse(await scrape());
    const info = await engine.dispatcher.invoke('host.info', {});
    expect(one(s, 'nova_host_cpus')).toBe(info.cpus);
    expect(one(s, 'nova_host_memory_bytes')).toBe(info.memoryBytes);
    expect(one(s, 'nova_host_kvm_usable')).toBe(info.accelerator.kvmUsable ? 1 : 0);
    expect(one(s, 'nova_host_info', { hostname: info.hostname, accelerator: info.accelerator.kind })).toBe(1);
    for (const c of ['host', 'vm', 'capsule', 'network', 'gpu', 'task']) expect(one(s, 'nova_scrape_collector_success', { collector: c }), c).toBe(1);
    expect(one(s, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(one(s, 'process_resident_memory_bytes')).toBeGreaterThan(1 << 20);
  });

  it.skipIf(noPromtool)(`passes promtool check metrics${noPromtool ? ` — skipped: ${noPromtool}` : ''}`, async () => {
    expect(promtool(await scrape())).toBe('');
    // promtool does catch what is wrong: a gauge named like a counter.
    expect(promtool('# HELP nova_bad_total x\n# TYPE nova_bad_total gauge\nnova_bad_total 1\n')).toMatch(/_total/);
  });

  it('--metrics-listen: only /metrics, no token, loopback by default, no browsers', async () => {
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseListen('abc')).toThrow(/HOST:\]PORT/);
    expect(() => parseListen('99999')).toThrow();
    const l = await startMetricsListener(engine, '0');
    try {
      expect(l.host).toBe('127.0.0.1');
      const r = await get('/metrics', {}, l.url);
      expect(r.status).toBe(200);
      const s = parse(await r.text());
      expect(one(s, 'nova_scrape_collector_success', { collector: 'vm' })).toBe(1);
      expect((await get('/rpc', {}, l.url)).status).toBe(404);
      expect((await get('/metrics', { origin: 'http://evil.example' }, l.url)).status).toBe(403);
    } finally {
      await l.close();
    }
  });
});

describeHost(
  '/metrics with a running TCG VM and capsule, scraped by promtool and a real prometheus',
  { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio', 'crun', 'promtool', 'prometheus'] },
  () => {
    let home: TempHome;
    let engine: Engine;
    let server: RunningServer;
    let prom: ChildProcess | undefined;
    let rootfs: string;
    const call = <T>(m: string, i: unknown) => engine.dispatcher.invoke(m, i) as Promise<T>;
    const scrape = async () => {
      const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(r.status).toBe(200);
      return r.text();
    };

    beforeAll(async () => {
      home = await tempHome('nova-metrics-');
      engine = home.engine();
      metricsFor(engine);
      server = await startServer({ engine });
      const guest = await ensureTestGuest();
      await call('vm.create', { name: 'mvm', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
      await call('vm.start', { name: 'mvm' });
      await call('vm.create', { name: 'midle', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 2, network: 'none' } });
      rootfs = busyboxRootfs(join(home.dir, 'work'));
      // Busy for a moment, then idle: CPU seconds well above zero, and a process still running.
      await call('capsule.create', { name: 'mcap', spec: { capsule: rootfs, command: ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 1000'], runtime: 'crun' }, start: true });
      await call('capsule.create', { name: 'mstopped', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
    }, 240_000);

    afterAll(async () => {
      if (prom?.pid) prom.kill('SIGKILL');
      await server?.close();
      if (engine) {
        await engine.dispatcher.call('vm.destroy', { name: 'mvm' });
        await engine.dispatcher.call('vm.delete', { name: 'midle' });
        for (const c of ['mcap', 'mstopped']) await engine.dispatcher.call('capsule.rm', { name: c, force: true });
        metricsFor(engine).close();
      }
      if (home) unmountUnder(home.dir);
      await home?.cleanup();
    }, 60_000);

    it('shows the VM and capsules with the state the engine derives, and values inside the engine\'s own readings', async () => {
      const before = await call<{ cpuTimeMs: number; memoryBytes: number }>('vm.stats', { name: 'mvm' });
      const capBefore = await call<{ cpuUsageNs: number }>('capsule.stats', { name: 'mcap' });
      const text = await scrape();
      const after = await call<{ cpuTimeMs: number; memoryBytes: number }>('vm.stats', { name: 'mvm' });
      const capAfter = await call<{ cpuUsageNs: number }>('capsule.stats', { name: 'mcap' });
      expect(promtool(text)).toBe('');
      const s = parse(text);

      // State: one series per possible state, 1 for the derived one only.
      expect(one(s, 'nova_vm_state', { vm: 'mvm', state: 'running' })).toBe(1);
      expect(find(s, 'nova_vm_state', { vm: 'mvm' }).filter((x) => x.value === 1)).toHaveLength(1);
      expect(one(s, 'nova_capsule_state', { capsule: 'mcap', state: 'running' })).toBe(1);
      expect(one(s, 'nova_capsule_state', { capsule: 'mstopped', state: 'created' })).toBe(1);
      expect(find(s, 'nova_capsule_state', { capsule: 'mcap' }).filter((x) => x.value === 1)).toHaveLength(1);
      expect(one(s, 'nova_vm_state', { vm: 'midle', state: 'stopped' })).toBe(1);
      expect(find(s, 'nova_vm_state', { vm: 'midle' }).filter((x) => x.value === 1)).toHaveLength(1);
      expect(find(s, 'nova_vm_cpu_seconds_total', { vm: 'midle' })).toHaveLength(0);
      expect(one(s, 'nova_vm_vcpus', { vm: 'midle' })).toBe(2);
      expect(one(s, 'nova_vm_info', { vm: 'mvm', accelerator: 'tcg' })).toBe(1);
      expect(one(s, 'nova_vm_vcpus', { vm: 'mvm' })).toBe(1);

      // Values in the units the names promise, between the engine's own readings around the scrape.
      const vmCpu = one(s, 'nova_vm_cpu_seconds_total', { vm: 'mvm' });
      expect(vmCpu).toBeGreaterThan(0);
      expect(vmCpu).toBeGreaterThanOrEqual(before.cpuTimeMs / 1000);
      expect(vmCpu).toBeLessThanOrEqual(after.cpuTimeMs / 1000);
      const vmMem = one(s, 'nova_vm_memory_bytes', { vm: 'mvm' });
      expect(vmMem).toBeGreaterThan(16 * 1024 * 1024);
      expect(vmMem).toBeLessThan(2 * Math.max(before.memoryBytes, after.memoryBytes));
      const capCpu = one(s, 'nova_capsule_cpu_seconds_total', { capsule: 'mcap' });
      expect(capCpu).toBeGreaterThan(0);
      expect(capCpu).toBeGreaterThanOrEqual(capBefore.cpuUsageNs / 1e9);
      expect(capCpu).toBeLessThanOrEqual(capAfter.cpuUsageNs / 1e9);
      expect(one(s, 'nova_capsule_pids', { capsule: 'mcap' })).toBeGreaterThanOrEqual(1);
      expect(one(s, 'nova_capsule_memory_bytes', { capsule: 'mcap' })).toBeGreaterThan(0);
      // A capsule that is not running has no resource series, only its state.
      expect(find(s, 'nova_capsule_cpu_seconds_total', { capsule: 'mstopped' })).toHaveLength(0);
    }, 60_000);

    it('follows a state change at the next scrape', async () => {
      await call('capsule.stop', { name: 'mcap', timeout: 1 });
      const { state } = await call<{ state: string }>('capsule.inspect', { name: 'mcap' });
      expect(state).not.toBe('running');
      const s = parse(await scrape());
      expect(one(s, 'nova_capsule_state', { capsule: 'mcap', state })).toBe(1);
      expect(one(s, 'nova_capsule_state', { capsule: 'mcap', state: 'running' })).toBe(0);
      expect(find(s, 'nova_capsule_cpu_seconds_total', { capsule: 'mcap' })).toHaveLength(0);
    }, 60_000);

    // The scrape keeps the lists between scrapes (model-cache.ts): changes that reach this engine
    // by no event of its own must still show at the next scrape.
    it('follows changes made behind this engine\'s back (another engine, kill -9) at the next scrape', async () => {
      // Two scrapes before each change: the first may look again because it began watching a new folder.
      const settled = async () => {
        await scrape();
        await scrape();
      };
      const other = home.engine(); // as the CLI's in-process engine would
      const otherCall = <T>(m: string, i: unknown) => other.dispatcher.invoke(m, i) as Promise<T>;
      await settled();
      await otherCall('capsule.create', { name: 'mother', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' }, start: true });
      expect(one(parse(await scrape()), 'nova_capsule_state', { capsule: 'mother', state: 'running' })).toBe(1);
      await settled();
      const { pid } = await otherCall<{ pid: number }>('capsule.inspect', { name: 'mother' });
      process.kill(pid, 'SIGKILL');
      await waitFor('the supervisor to record the kill', async () => (await otherCall<{ state: string }>('capsule.inspect', { name: 'mother' })).state === 'crashed', 20_000);
      expect(one(parse(await scrape()), 'nova_capsule_state', { capsule: 'mother', state: 'crashed' })).toBe(1);
      await settled();
      await otherCall('capsule.rm', { name: 'mother', force: true });
      expect(find(parse(await scrape()), 'nova_capsule_info', { capsule: 'mother' })).toHaveLength(0);
      const guest = await ensureTestGuest();
      const spec = { kernel: guest.kernel, initrd: guest.initrd, memory: '128Mi', cpu: 3, network: 'none' };
      await settled();
      await otherCall('vm.create', { name: 'mother', spec });
      expect(one(parse(await scrape()), 'nova_vm_vcpus', { vm: 'mother' })).toBe(3);
      await settled();
      await otherCall('vm.update', { name: 'mother', spec: { ...spec, cpu: 2 } });
      expect(one(parse(await scrape()), 'nova_vm_vcpus', { vm: 'mother' })).toBe(2);
      await settled();
      await otherCall('vm.delete', { name: 'mother' });
      expect(find(parse(await scrape()), 'nova_vm_info', { vm: 'mother' })).toHaveLength(0);
    }, 60_000);

    it('a real prometheus scrapes nova serve with its token and sees the VM\'s CPU series go up', async () => {
      const dir = join(home.dir, 'prometheus');
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(join(dir, 'token'), server.token, { mode: 0o600 });
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, scrape_timeout: 1s }',
          'scrape_configs:',
          '  - job_name: nova',
          `    authorization: { credentials_file: ${join(dir, 'token')} }`,
          `    static_configs: [{ targets: ['127.0.0.1:${server.port}'] }]`,
          '',
        ].join('\n'),
      );
      const port = await freePort();
      prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
      const query = async (q: string) => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
        if (!r?.ok) return undefined;
        return ((await r.json()) as { data: { result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] } }).data.result;
      };
      const values = await waitFor(
        'three samples of nova_vm_cpu_seconds_total in prometheus',
        async () => {
          const r = await query('nova_vm_cpu_seconds_total{vm="mvm"}[1m]');
          const v = r?.[0]?.values ?? [];
          return v.length >= 3 && v;
        },
        60_000,
        500,
      );
      const nums = values.map(([, v]) => Number(v));
      expect(nums.at(-1)!).toBeGreaterThan(nums[0]!);
      for (let i = 1; i < nums.length; i++) expect(nums[i]!).toBeGreaterThanOrEqual(nums[i - 1]!);
      const up = await query('up{job="nova"}');
      expect(up?.[0]?.value?.[1]).toBe('1');
      const running = await query('nova_vm_state{vm="mvm",state="running"}');
      expect(running?.[0]?.value?.[1]).toBe('1');
    }, 90_000);
  },
);
