import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../core/gpu/testing/hosts.js';

// The real `nova` from its sources, spawned against fixture sysfs trees (NOVA_SYSFS_ROOT) through
// the test entry point that gives its engine the fixture kernel, so bind/reattach really change the tree.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'nova-gpu-fixture.mjs');
let base: string;
const roots: Record<string, string> = {};

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nova-gpu-cli-'));
  roots.desktop = await buildScenario('desktop-rtx5090', join(base, 'desktop'));
  roots.shared = await buildScenario('shared-group', join(base, 'shared'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

function nova(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NOVA_HOME: join(base, 'home'), NOVA_SYSFS_ROOT: root, NOVA_FROM_SOURCE: '1' }, cwd: base, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('nova gpu (CLI against fixture trees)', () => {
  it('gpu list prints the table; --json prints the contract output', async () => {
    const r = await nova(roots.desktop!, 'gpu', 'list');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ADDRESS\s+NAME\s+GENERATION\s+DRIVER\s+GROUP\s+STATUS$/);
    expect(lines[2]).toMatch(/^0000:01:00\.0\s+NVIDIA GeForce RTX 5090\s+Blackwell \(RTX 50\)\s+nvidia\s+14 \(\+1\)\s+Degraded$/);
    const j = await nova(roots.desktop!, '--json', 'gpu', 'list');
    expect(JSON.parse(j.stdout).gpus.map((g: { address: string; status: string }) => [g.address, g.status])).toEqual([
      ['0000:00:02.0', 'Action Needed'],
      ['0000:01:00.0', 'Degraded'],
    ]);
    const filtered = await nova(roots.desktop!, '--json', 'gpu', 'list', '--status', 'action-needed');
    expect(JSON.parse(filtered.stdout).gpus.map((g: { address: string }) => g.address)).toEqual(['0000:00:02.0']);
  });

  it('gpu bind then reattach move the 5090 and its audio function; info by name shows the driver', async () => {
    const b = await nova(roots.desktop!, 'gpu', 'bind', '01:00.0');
    expect(b).toMatchObject({ code: 0, stdout: '✓ 0000:01:00.0: 0000:01:00.0 nvidia → vfio-pci, 0000:01:00.1 snd_hda_intel → vfio-pci\n' });
    const info = await nova(roots.desktop!, 'gpu', 'info', 'rtx 5090');
    expect(info.stdout).toMatch(/^Driver\s+vfio-pci \(override: vfio-pci\)$/m);
    const a = await nova(roots.desktop!, '--json', 'gpu', 'reattach', '0000:01:00.0');
    expect(JSON.parse(a.stdout).results[0].devices).toEqual([
      { address: '0000:01:00.0', from: 'vfio-pci', to: 'nvidia' },
      { address: '0000:01:00.1', from: 'vfio-pci', to: 'snd_hda_intel' },
    ]);
  });

  it('a non-viable group and a bad address fail with the reason, the fix and a non-zero exit', async () => {
    const r = await nova(roots.shared!, 'gpu', 'bind', '0000:05:00.0');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ 0000:05:00.0: CONFLICT: IOMMU group 11 of 0000:05:00.0 is not viable');
    expect(r.stdout).toContain('fix: pass the whole group with --include-group');
    const bad = await nova(roots.shared!, 'gpu', 'reset', '5:0.0');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid addresses.0: write a PCI address like "0000:01:00.0"');
  });

  it('support preflight exits 0 exactly when nothing fails; support bundle writes the tar.gz', async () => {
    const p = await nova(roots.desktop!, '--json', 'support', 'preflight');
    const report = JSON.parse(p.stdout);
    expect(p.code).toBe(report.counts.fail === 0 ? 0 : 1);
    expect(report.checks.find((c: { id: string }) => c.id === 'iommu').status).toBe('ok');
    const out = join(base, 'bundle.tar.gz');
    const b = await nova(roots.desktop!, 'support', 'bundle', '--redact', '-o', out);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^Wrote .*bundle\.tar\.gz \(.* files, redacted; \d+ secret value\(s\) scrubbed\)$/m);
    expect(existsSync(out)).toBe(true);
  });
});
