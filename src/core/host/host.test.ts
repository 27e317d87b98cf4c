import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner, recordingRunner } from '../sys/runner.js';
import { describeHost } from '../../test/host.js';
import { probeAccelerator } from './accelerator.js';
import { detectCgroups } from './cgroups.js';
import { parseVersion, probeTools } from './tools.js';

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'nova-host-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

const mount = (id: number, point: string, type: string) => `${id} 1 0:${id} / ${point} rw,nosuid - ${type} ${type} rw`;

describe('cgroup layout detection', () => {
  it.each([
    ['v2', [mount(30, '/sys/fs/cgroup', 'cgroup2')], 'v2'],
    ['hybrid', [mount(30, '/sys/fs/cgroup/unified', 'cgroup2'), mount(31, '/sys/fs/cgroup/memory', 'cgroup'), mount(32, '/sys/fs/cgroup/cpu', 'cgroup')], 'hybrid'],
    ['v1', [mount(31, '/sys/fs/cgroup/memory', 'cgroup')], 'v1'],
    ['none', [mount(20, '/proc', 'proc')], 'none'],
  ])('%s', async (_n, lines, layout) => {
    const f = join(dir, `mountinfo-${layout}`);
    await writeFile(f, `${lines.join('\n')}\n`);
    expect((await detectCgroups(f, '/sys/fs/cgroup')).layout).toBe(layout);
  });

  it('reads this host for real', async () => {
    expect(['v2', 'v1', 'hybrid']).toContain((await detectCgroups()).layout);
  });
});

describe('tool versions', () => {
  it.each([
    ['QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)', '7.2.22'],
    ['crun version 1.8.1\ncommit: abc', '1.8.1'],
    ['ip utility, iproute2-6.1.0, libbpf 1.1.0', '6.1.0'],
    ['Dnsmasq version 2.90  Copyright', '2.90'],
  ])('%s', (text, v) => expect(parseVersion(text)).toBe(v));
});

describe('tool probe with its version cache', () => {
  it('asks each tool once, then only a tool whose binary changed', async () => {
    // A crun of our own first on PATH: the real tools are found as usual after it.
    const bin = join(dir, 'bin');
    const crun = join(bin, 'crun');
    const fake = (v: string) => writeFile(crun, `#!/bin/sh\necho "crun version ${v}"\n`).then(() => chmod(crun, 0o755));
    await rm(bin, { recursive: true, force: true });
    await mkdir(bin);
    await fake('9.8.7');
    const cacheFile = join(dir, 'run', 'host', 'tools.json');
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath ?? ''}`;
    try {
      const first = recordingRunner(createRunner());
      const a = await probeTools(first, cacheFile);
      expect(a.find((t) => t.name === 'crun')).toMatchObject({ found: true, path: crun, version: '9.8.7' });
      expect(first.calls.map((c) => c[0])).toContain(crun);

      const second = recordingRunner(createRunner());
      const b = await probeTools(second, cacheFile);
      expect(second.calls).toEqual([]); // nothing changed: no process at all
      expect(b).toEqual(a);

      await fake('10.0.1'); // an upgrade: a new file, another size
      const third = recordingRunner(createRunner());
      const c = await probeTools(third, cacheFile);
      expect(third.calls.map((x) => x[0])).toEqual([crun]);
      expect(c.find((t) => t.name === 'crun')?.version).toBe('10.0.1');
    } finally {
      process.env.PATH = oldPath;
    }
  });
});

describeHost('accelerator probe (boots a one-instruction guest)', { tools: ['qemu-system-x86_64'] }, () => {
  it('says whether KVM really works and why, and caches the answer per boot', async () => {
    const runtime = join(dir, 'run');
    const info = await probeAccelerator(createRunner(), runtime, 'test');
    expect(['kvm', 'tcg']).toContain(info.kind);
    if (info.kind === 'tcg') expect(info.reason).toMatch(/TCG/);
    // A second probe answers from the cache without running QEMU.
    const calls: string[][] = [];
    const again = await probeAccelerator({ run: async (argv) => (calls.push([...argv]), { argv: [...argv], exitCode: 1, stdout: '', stderr: '', durationMs: 0 }) }, runtime, 'test');
    expect(again).toEqual(info);
    expect(calls).toEqual([]);
  });

  it('reports a missing QEMU instead of guessing', async () => {
    const info = await probeAccelerator(createRunner(), join(dir, 'run2'), undefined);
    expect(info).toMatchObject({ kind: 'none', kvmUsable: false, reason: expect.stringContaining('not installed') });
  });
});
