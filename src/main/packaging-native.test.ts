// The deb/pacman/AppImage ship every native helper, the QUIC overlay tunnel included (#18):
// electron-builder copies out/native to resources/native, and the afterPack hook refuses a packed
// app where a helper is missing, not executable, or (the tunnel) does not run.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeHost } from '../test/host.js';

const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const { checkNativeHelpers, HELPERS } = require(join(ROOT, 'scripts', 'packaging', 'native-check.cjs')) as { checkNativeHelpers: (dir: string) => string; HELPERS: string[] };
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8')) as { extraResources: { from: string; to: string }[]; afterPack: string; deb: { depends: string[] } };

describeHost('package: the native helpers ship, the quic tunnel included', { tools: ['/usr/bin/cargo', 'cc'] }, () => {
  let resources = '';
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs')], { stdio: 'ignore' });
    resources = mkdtempSync(join(tmpdir(), 'nova-pack-'));
    // What electron-builder does with the extraResources entry for the helpers.
    const entry = config.extraResources.find((r) => r.from === 'out/native');
    expect(entry?.to).toBe('native');
    cpSync(join(ROOT, entry!.from), join(resources, entry!.to), { recursive: true });
  });
  afterAll(() => rmSync(resources, { recursive: true, force: true }));

  it('the afterPack hook runs the check, and it lists every helper build-native makes', () => {
    expect(readFileSync(join(ROOT, config.afterPack), 'utf8')).toContain('checkNativeHelpers(resources)');
    const build = readFileSync(join(ROOT, 'scripts', 'build-native.mjs'), 'utf8');
    for (const h of HELPERS) expect(build, h).toContain(h);
  });

  it('passes on the built helpers: the tunnel answers --version', () => {
    expect(checkNativeHelpers(resources)).toMatch(/^nova-quic-tunnel \d+\.\d+\.\d+$/);
  });

  it('the `nova` launcher carries json-c inside (Debian has libjson-c.a): the deb and AppImage need no libjson-c5', () => {
    const libs = execFileSync('ldd', [join(resources, 'native', 'nova')], { encoding: 'utf8' });
    expect(libs).not.toContain('libjson-c');
    expect(config.deb.depends.join(' ')).not.toContain('json-c');
    expect(execFileSync(join(ROOT, 'out', 'native', 'nova'), ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses a package whose tunnel is not executable, or missing, naming it and the fix', () => {
    const tunnel = join(resources, 'native', 'nova-quic-tunnel');
    chmodSync(tunnel, 0o644);
    expect(() => checkNativeHelpers(resources)).toThrow(/nova-quic-tunnel is not an executable file/);
    rmSync(tunnel);
    expect(() => checkNativeHelpers(resources)).toThrow(/resources\/native\/nova-quic-tunnel is missing: install cargo, rustc and librust-quinn-dev/);
  });
});
