// Packaging: electron-builder config, .desktop entry, icons, systemd unit, polkit policy, the
// install scripts, and a real electron-builder run (target `dir`) on a stand-in Electron binary
// that checks the fuses, the asar contents and the `nova` CLI in the output.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, writeFile, access } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHost } from '../test/host.js';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8')) as {
  appId: string;
  linux: { target: string[]; executableName: string; syncDesktopName: boolean; icon: string; executableArgs: string[]; desktop: { entry: Record<string, string> } };
  extraResources: { from: string; to: string }[];
  files: string[];
  beforePack: string;
  afterPack: string;
  deb: { afterInstall: string; afterRemove: string; depends: string[]; recommends?: string[]; fpm?: string[] };
  pacman: { afterInstall: string; afterRemove: string; depends: string[]; fpm?: string[] };
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { desktopName?: string; version: string; devDependencies: Record<string, string> };
const DESKTOP = join(ROOT, 'resources', 'org.nova.Nova.desktop');
const METAINFO = join(ROOT, 'resources', 'metainfo', 'org.nova.Nova.metainfo.xml');

function desktopEntry(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let group = '';
  for (const line of text.split('\n')) {
    const g = /^\[(.+)\]$/.exec(line);
    if (g) group = g[1]!;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)=(.*)$/.exec(line);
    if (kv && group === 'Desktop Entry') out[kv[1]!] = kv[2]!;
  }
  return out;
}

/** electron-builder's own macro expansion for install scripts: unknown ${name} is an error. */
function expandMacros(text: string, macros: Record<string, string>): string {
  return text.replace(/\${([a-zA-Z]+)}/g, (_m, name: string) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`);
    return macros[name]!;
  });
}

const pngSize = (file: string) => {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString()).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

describe('electron-builder configuration', () => {
  it('builds pacman first, then AppImage and deb', () => {
    expect(config.linux.target).toEqual(['pacman', 'AppImage', 'deb']);
  });

  it('one app id everywhere: builder appId, desktopName, desktop file name, StartupWMClass, the main process, the metainfo', async () => {
    const { APP_ID, DESKTOP_FILE } = await import('./switches.js');
    expect(APP_ID).toBe('org.nova.Nova');
    expect(config.appId).toBe(APP_ID);
    expect(pkg.desktopName).toBe(`${APP_ID}.desktop`);
    expect(DESKTOP_FILE).toBe(pkg.desktopName);
    expect(config.linux.syncDesktopName).toBe(true);
    expect(config.linux.desktop.entry.StartupWMClass).toBe(APP_ID);
    expect(existsSync(join(ROOT, 'resources', DESKTOP_FILE))).toBe(true);
    expect(readdirSync(join(ROOT, 'resources')).filter((f) => f.endsWith('.desktop'))).toEqual([DESKTOP_FILE]);
    expect(config.extraResources).toEqual(expect.arrayContaining([{ from: `resources/${DESKTOP_FILE}`, to: DESKTOP_FILE }, { from: `resources/metainfo/${APP_ID}.metainfo.xml`, to: `metainfo/${APP_ID}.metainfo.xml` }]));
    const xml = readFileSync(METAINFO, 'utf8');
    expect(/<id>([^<]+)<\/id>/.exec(xml)?.[1]).toBe(APP_ID);
    expect(/<launchable type="desktop-id">([^<]+)<\/launchable>/.exec(xml)?.[1]).toBe(pkg.desktopName);
    // The binaries the packages put on PATH, and the newest release is this version.
    expect([...xml.matchAll(/<binary>([^<]+)<\/binary>/g)].map((m) => m[1]).sort()).toEqual(['nova', config.linux.executableName].sort());
    expect(/<release version="([^"]+)"/.exec(xml)?.[1]).toBe(pkg.version);
    const file = desktopEntry(readFileSync(DESKTOP, 'utf8'));
    expect(file.StartupWMClass).toBe(APP_ID);
    for (const key of ['Name', 'GenericName', 'Comment', 'Categories', 'Keywords', 'StartupWMClass', 'StartupNotify', 'Terminal']) {
      expect(config.linux.desktop.entry[key], key).toBe(file[key]);
    }
    expect(file.Exec).toBe(`${config.linux.executableName} %U`);
    // The CLI owns /usr/bin/nova; the app binary must not take that name.
    expect(config.linux.executableName).not.toBe('nova');
    expect(config.linux.executableArgs).toEqual(['--ozone-platform-hint=auto', '--enable-features=WaylandWindowDecorations']);
  });

  it('ships icons in every size the desktop asks for, and a scalable one', () => {
    for (const s of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(join(ROOT, config.linux.icon, `${s}x${s}.png`))).toEqual([s, s]);
    expect(readFileSync(join(ROOT, config.linux.icon, 'nova.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 512 512"/);
  });

  it('every extra resource, hook and install script exists', () => {
    for (const r of config.extraResources) if (!r.from.startsWith('out/')) expect(existsSync(join(ROOT, r.from)), r.from).toBe(true);
    for (const f of [config.beforePack, config.afterPack, config.deb.afterInstall, config.deb.afterRemove, config.pacman.afterInstall]) expect(existsSync(join(ROOT, f)), f).toBe(true);
    expect(config.extraResources).toEqual(expect.arrayContaining([{ from: 'resources/bin', to: 'bin' }, { from: 'resources/systemd', to: 'systemd' }, { from: 'resources/polkit', to: 'polkit' }]));
    expect(pkg.devDependencies['@electron/fuses']).toBeTruthy();
  });

  it('the fuse set turns off RunAsNode and NODE_OPTIONS and turns on cookie encryption and ASAR integrity', () => {
    const { NOVA_FUSES } = require(join(ROOT, 'scripts/packaging/fuses.cjs')) as { NOVA_FUSES: Record<string, unknown> };
    const { FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
    expect(NOVA_FUSES[FuseV1Options.RunAsNode]).toBe(false);
    expect(NOVA_FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(NOVA_FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(NOVA_FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(NOVA_FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(NOVA_FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(NOVA_FUSES[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
  });

  it('the polkit policy declares one action per verb group of nova privd; only attaching is free in an active session', async () => {
    const { POLKIT_ACTIONS } = await import('../shared/contract/privileged.js');
    const xml = readFileSync(join(ROOT, 'resources', 'polkit', 'org.nova.policy'), 'utf8');
    const ids = [...xml.matchAll(/<action id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.sort()).toEqual(Object.values(POLKIT_ACTIONS).sort());
    expect(xml.match(/<defaults>/g)).toHaveLength(ids.length);
    expect(xml).not.toContain('policykit.exec.path'); // no pkexec: the helper asks polkit itself
    expect(xml.match(/<allow_\w+>yes<\/allow_\w+>/g)).toEqual(['<allow_active>yes</allow_active>']);
    expect(xml).toMatch(/<action id="org.nova.attach">[\s\S]*?<allow_active>yes<\/allow_active>[\s\S]*?<\/action>/);
    // Taking a device the host is using asks for the admin password every time (never kept).
    const force = /<action id="org.nova.manage-devices-force">([\s\S]*?)<\/action>/.exec(xml)?.[1] ?? '';
    expect(force.match(/<allow_\w+>[^<]*<\/allow_\w+>/g)).toEqual(['<allow_any>auth_admin</allow_any>', '<allow_inactive>auth_admin</allow_inactive>', '<allow_active>auth_admin</allow_active>']);
  });
});

describe('package files: the helper, its policy and its accounts', () => {
  // What the packages install as their own files (electron-builder passes `fpm` SRC=DEST to fpm),
  // so the package manager owns, upgrades and removes them; nothing is copied by a script.
  const wanted = {
    // System units in resources/systemd, user units (systemctl --user) in resources/systemd/user.
    ...Object.fromEntries(readdirSync(join(ROOT, 'resources', 'systemd')).filter((u) => u !== 'user').map((u) => [`resources/systemd/${u}`, `/usr/lib/systemd/system/${u}`])),
    ...Object.fromEntries(readdirSync(join(ROOT, 'resources', 'systemd', 'user')).map((u) => [`resources/systemd/user/${u}`, `/usr/lib/systemd/user/${u}`])),
    'resources/polkit/org.nova.policy': '/usr/share/polkit-1/actions/org.nova.policy',
    'resources/sysusers.d/nova.conf': '/usr/lib/sysusers.d/nova.conf',
  };
  const mapped = (fpm: string[] | undefined) => Object.fromEntries((fpm ?? []).filter((a) => !a.startsWith('-')).map((a) => a.split('=') as [string, string]));

  it.each(['deb', 'pacman'] as const)('%s: every unit, the polkit policy and sysusers.d/nova.conf are package files, and they exist', (target) => {
    const files = mapped(config[target].fpm);
    expect(Object.keys(wanted)).toEqual(expect.arrayContaining(['resources/systemd/nova-privd.service', 'resources/systemd/nova-privd.socket', 'resources/systemd/nova-hydrate.service']));
    expect(files).toEqual(wanted);
    for (const src of Object.keys(files)) expect(existsSync(join(ROOT, src)), src).toBe(true);
    const script = readFileSync(join(ROOT, config[target].afterInstall), 'utf8') + readFileSync(join(ROOT, config[target].afterRemove), 'utf8');
    expect(script).not.toMatch(/install [^\n]*(systemd|polkit|sysusers)|\/usr\/lib\/systemd\/system\/nova|org\.nova\.policy/);
  });

  it('depends on polkit (daemon) and recommends an agent; sysusers.d declares the nova group, nova-qemu and dnsmasq', () => {
    expect(config.deb.depends).toContain('polkitd | policykit-1');
    expect(config.pacman.depends).toContain('polkit');
    expect(config.deb.recommends?.join(' ')).toMatch(/polkit-kde-agent-1 \| policykit-1-gnome/);
    expect(config.pacman.fpm?.find((a) => a.startsWith('--pacman-optional-depends='))).toMatch(/polkit-kde-agent: /);
    const lines = readFileSync(join(ROOT, 'resources/sysusers.d/nova.conf'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    expect(lines).toEqual(['g nova', 'u nova-qemu', 'u dnsmasq']);
  });
});

describeHost('desktop entry validates', { tools: ['desktop-file-validate'] }, () => {
  it('desktop-file-validate accepts resources/org.nova.Nova.desktop', async () => {
    const r = await run('desktop-file-validate', [DESKTOP]);
    expect(r.stdout + r.stderr).toBe('');
  });
});

describeHost('AppStream metainfo validates', { tools: ['appstreamcli'] }, () => {
  /** Exit status and the issue lines (E: errors, W: warnings, I: infos, P: pedantic). */
  const validate = (file: string) =>
    run('appstreamcli', ['validate', '--no-net', '--pedantic', '--no-color', file]).then(
      (r) => ({ ok: true, out: r.stdout + r.stderr }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );

  it('appstreamcli validate --no-net passes with no error, warning or info', async () => {
    const r = await validate(METAINFO);
    expect(r.ok, r.out).toBe(true);
    // Pedantic notes aside (a reverse-DNS id with capitals, as org.nova.Nova is), nothing at all.
    expect(r.out.split('\n').filter((l) => /^[EWI]: /.test(l)), r.out).toEqual([]);
  });

  it('and fails a metainfo that is broken (so the check above means something)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nova-metainfo-'));
    try {
      const bad = join(dir, 'org.nova.Nova.metainfo.xml');
      await writeFile(bad, readFileSync(METAINFO, 'utf8').replace(/<summary>[^<]*<\/summary>/, '').replace(/<release version="[^"]+" date="[^"]+">/, '<release version="0.1.0" date="not-a-date">'));
      const r = await validate(bad);
      expect(r.ok).toBe(false);
      expect(r.out).toMatch(/^E: .*summary/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeHost('policy XML is well-formed', { tools: ['xmllint'] }, () => {
  it('xmllint parses it', async () => {
    const r = await run('xmllint', ['--noout', '--nonet', join(ROOT, 'resources', 'polkit', 'org.nova.policy')]);
    expect(r.stderr).toBe('');
  });
});

describeHost('systemd unit verifies', { tools: ['systemd-analyze'] }, () => {
  it('systemd-analyze verify accepts nova-hydrate.service and it runs `nova net hydrate`', async () => {
    const text = await readFile(join(ROOT, 'resources', 'systemd', 'nova-hydrate.service'), 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/nova net hydrate$/m);
    expect(text).toMatch(/^WantedBy=multi-user.target$/m);
    // /usr/bin/nova exists only once the package is installed: verify with a stand-in path.
    const dir = await mkdtemp(join(tmpdir(), 'nova-unit-'));
    try {
      await writeFile(join(dir, 'nova'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(join(dir, 'nova-hydrate.service'), text.replace('/usr/bin/nova', join(dir, 'nova')));
      const r = await run('systemd-analyze', ['verify', join(dir, 'nova-hydrate.service')]).catch((e: { stderr: string }) => ({ stdout: '', stderr: e.stderr }));
      expect(r.stderr.split('\n').filter((l) => l.includes('nova-hydrate'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('electron-builder --dir on a stand-in Electron binary', () => {
  let work: string;
  let app: string;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out', 'main', 'index.js')) || !existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) {
      await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeout: 120_000 });
    }
    work = await mkdtemp(join(tmpdir(), 'nova-pack-'));
    const dist = join(work, 'electron-dist');
    await mkdir(join(dist, 'resources'), { recursive: true });
    // A binary with Electron's fuse wire (sentinel, version 1, 8 fuses) in Electron 45's defaults.
    const wire = Buffer.concat([Buffer.from('\x7fELF stand-in electron\n'), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, 8]), Buffer.from('10110001'), Buffer.alloc(32)]);
    await writeFile(join(dist, 'electron'), wire, { mode: 0o755 });
    await writeFile(join(dist, 'chrome-sandbox'), '', { mode: 0o755 });
    await writeFile(join(dist, 'LICENSE'), 'MIT');
    await writeFile(join(dist, 'version'), '45.4.1');
    await run(join(ROOT, 'node_modules', '.bin', 'electron-builder'), ['--linux', 'dir', '--publish', 'never', `-c.electronDist=${dist}`, `-c.directories.output=${join(work, 'out')}`], { cwd: ROOT, timeout: 240_000 });
    app = join(work, 'out', 'linux-unpacked');
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the afterPack hook flipped the fuses in the packed binary', async () => {
    const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
    const wire = (await getCurrentFuseWire(join(app, 'nova-desktop'))) as unknown as Record<number, number>;
    const on = (o: number) => String.fromCharCode(wire[o]!);
    expect(on(FuseV1Options.RunAsNode)).toBe('0');
    expect(on(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
    expect(on(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
    expect(on(FuseV1Options.EnableCookieEncryption)).toBe('1');
    expect(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
    expect(on(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
    expect(on(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('0');
  });

  it('the asar holds main, preload and renderer, icons lie beside it; the dev toolchain stays out', async () => {
    const asar = require('@electron/asar') as { listPackage(p: string, o: object): string[] };
    const files = asar.listPackage(join(app, 'resources', 'app.asar'), {}).map((f) => f.replace(/\\/g, '/'));
    for (const f of ['/package.json', '/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/node_modules/zod/package.json']) expect(files, f).toContain(f);
    // Icons sit outside the asar: notification daemons and tray hosts read them by path.
    for (const s of ['32x32', '256x256']) expect(existsSync(join(app, 'resources', 'icons', `${s}.png`)), s).toBe(true);
    for (const bad of ['/src/', '/node_modules/electron/', '/node_modules/vitest/', '/node_modules/electron-builder/']) expect(files.some((f) => f.startsWith(bad)), bad).toBe(false);
  });

  it('ships a self-contained `nova` CLI that runs from anywhere through resources/bin/nova and the native launcher', async () => {
    const { stdout } = await run(join(app, 'resources', 'bin', 'nova'), ['--version'], { cwd: tmpdir() });
    expect(stdout.trim()).toBe('0.1.0');
    const help = await run(join(app, 'resources', 'bin', 'nova'), ['--help'], { cwd: tmpdir() });
    expect(help.stdout).toContain('serve');
    expect(readdirSync(join(app, 'resources', 'renderer'))).toContain('index.html');
    // What /usr/bin/nova links to: the native launcher, which runs resources/cli/nova.mjs on the system's Node.
    const launcher = await run(join(app, 'resources', 'native', 'nova'), ['--version'], { cwd: tmpdir() });
    expect(launcher.stdout.trim()).toBe('0.1.0');
    const missing = await run(join(app, 'resources', 'native', 'nova'), ['capsule', 'start', 'nope'], { cwd: tmpdir(), env: { ...process.env, NOVA_HOME: join(work, 'empty-home') } }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('nova: NOT_FOUND: no capsule named "nope"') });
  });

  it('a packaged `nova ls` answers from nova-fast.cjs without loading the full CLI; what it leaves falls through to nova-full.cjs, run with a code cache in the user\'s ~/.cache', async () => {
    expect(readdirSync(join(app, 'resources', 'cli')).sort()).toEqual(['nova-fast.cjs', 'nova-full.cjs', 'nova.mjs', 'novafile-worker.cjs', 'run-cached.mjs']);
    // Node's own module log (stderr) names every CommonJS file and ES module it loads.
    const env = { ...process.env, NOVA_HOME: join(work, 'empty-home'), NOVA_NO_SOCKET: '', NODE_DEBUG: 'module,esm', XDG_CACHE_HOME: join(work, 'user-cache') };
    const nova = (...args: string[]) => run(join(app, 'resources', 'native', 'nova'), args, { cwd: tmpdir(), env });
    const fast = await nova('ls', '--json');
    expect(JSON.parse(fast.stdout)).toEqual({ items: [] });
    expect(fast.stderr).toContain('nova-fast.cjs');
    expect(fast.stderr).not.toContain('nova-full.cjs');
    // A kind it does not know is the full CLI's: the fast path loads, leaves it, and the answer
    // (an INVALID_INPUT error, exit 1) is the full bundle's own, byte for byte.
    type Outcome = { code: number; stdout: string; stderr: string };
    const outcome = (p: Promise<{ stdout: string; stderr: string }>) => p.then((r): Outcome => ({ code: 0, ...r }), (e: Outcome) => e);
    const bad = await outcome(nova('ls', '--kind', 'nope', '--json'));
    expect(bad.stderr).toContain('nova-fast.cjs');
    expect(bad.stderr).toContain('nova-full.cjs');
    const quiet = { cwd: tmpdir(), env: { ...env, NODE_DEBUG: '' } };
    const viaEntry = await outcome(run(join(app, 'resources', 'native', 'nova'), ['ls', '--kind', 'nope', '--json'], quiet));
    const fullAlone = await outcome(run(process.execPath, [join(app, 'resources', 'cli', 'nova-full.cjs'), 'ls', '--kind', 'nope', '--json'], quiet));
    expect(viaEntry).toMatchObject({ code: 1, stderr: expect.stringContaining('"INVALID_INPUT"') });
    expect([viaEntry.code, viaEntry.stdout, viaEntry.stderr]).toEqual([fullAlone.code, fullAlone.stdout, fullAlone.stderr]);
    // And the fast listing is the full CLI's listing, byte for byte.
    const all = await run(process.execPath, [join(app, 'resources', 'cli', 'nova-full.cjs'), 'ls', '--json'], quiet);
    expect(fast.stdout).toBe(all.stdout);
    // Not a command the fast path knows: straight to the full CLI.
    const version = await nova('--version');
    expect(version.stdout.trim()).toBe('0.1.0');
    expect(version.stderr).not.toContain('nova-fast.cjs');
    expect(version.stderr).toContain('nova-full.cjs');
    // V8's code cache of the full CLI: in the user's cache, never in the package's folder, and
    // taken by the next run (a rejected or missing cache is written again on exit).
    const cache = join(work, 'user-cache', 'nova', `nova-full.cjs.${process.version}.${process.arch}.cache`);
    const written = statSync(cache).mtimeMs;
    expect(readdirSync(join(app, 'resources', 'cli')).filter((f) => f.endsWith('.cache'))).toEqual([]);
    await nova('--version');
    expect(statSync(cache).mtimeMs).toBe(written);
  });

  it('NovaFile validation runs off the main thread when packaged: the CLI and the app find the self-contained worker in resources/cli', async () => {
    const { findBuildOutput } = await import('../core/sys/assets.js');
    const worker = join(app, 'resources', 'cli', 'novafile-worker.cjs');
    // From the CLI bundle's folder, and from the app's main process inside app.asar.
    expect(findBuildOutput('cli/novafile-worker.cjs', join(app, 'resources', 'cli'))).toBe(worker);
    expect(findBuildOutput('cli/novafile-worker.cjs', join(app, 'resources', 'app.asar', 'out', 'main'))).toBe(worker);
    // It needs nothing outside itself (the packages have no node_modules beside it).
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(worker);
    const reply = await new Promise<{ ok: boolean; result: { errors: { line: number; column: number; message: string }[] } }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage({ text: '[vm.a]\nkernel = "/k"\ncpus = 4\n', file: 'NovaFile', summary: false });
    }).finally(() => w.terminate());
    expect(reply.ok).toBe(true);
    expect(reply.result.errors).toEqual([expect.objectContaining({ line: 3, column: 1, message: 'unknown key `cpus` — did you mean `cpu`?' })]);
  });

  it('electron-builder hands fpm the units, the policy and sysusers.d as package files, with the polkit dependency and agent recommendation', async () => {
    // fpm itself is a download; electron-builder runs CUSTOM_FPM_PATH instead: a stand-in that records its argv.
    // (deb needs a homepage and package.json has none yet: given here.)
    const stub = join(work, 'fpm-stub');
    const calls = join(work, 'fpm-calls.jsonl');
    await writeFile(stub, `#!${process.execPath}\nconst fs = require('fs'); const a = process.argv.slice(2); fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(a) + '\\n'); const i = a.indexOf('--package'); if (i >= 0) fs.writeFileSync(a[i + 1], '');\n`, { mode: 0o755 });
    await run(join(ROOT, 'node_modules', '.bin', 'electron-builder'), ['--linux', 'deb', 'pacman', '--publish', 'never', '--prepackaged', app, `-c.directories.output=${join(work, 'pkg')}`, '-c.extraMetadata.homepage=https://nova.invalid'], { cwd: ROOT, env: { ...process.env, CUSTOM_FPM_PATH: stub }, timeout: 240_000 }).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`electron-builder deb pacman: ${e.stdout}${e.stderr}`);
    });
    const argvs = readFileSync(calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    const byTarget = Object.fromEntries(argvs.map((a) => [a[a.indexOf('-t') + 1]!, a]));
    expect(Object.keys(byTarget).sort()).toEqual(['deb', 'pacman']);
    for (const [target, a] of Object.entries(byTarget)) {
      const dests = new Map(a.filter((x) => /^[^-].*=\/usr\//.test(x)).map((x) => [x.split('=')[1]!, x.split('=')[0]!]));
      for (const dest of ['/usr/lib/systemd/system/nova-privd.service', '/usr/lib/systemd/system/nova-privd.socket', '/usr/lib/systemd/system/nova-hydrate.service', '/usr/share/polkit-1/actions/org.nova.policy', '/usr/lib/sysusers.d/nova.conf']) {
        expect(dests.has(dest), `${target}: ${dest}`).toBe(true);
        expect(existsSync(join(ROOT, dests.get(dest)!)), `${target}: source of ${dest}`).toBe(true);
      }
    }
    expect(byTarget.deb).toEqual(expect.arrayContaining(['-d', 'polkitd | policykit-1', '--deb-recommends', expect.stringContaining('polkit-kde-agent-1')]));
    expect(byTarget.pacman).toEqual(expect.arrayContaining(['-d', 'polkit', expect.stringMatching(/^--pacman-optional-depends=polkit-kde-agent: /)]));
  }, 300_000);

  it('the install scripts link `nova` onto PATH and remove the links again; they copy no unit or policy', async () => {
    const fakeRoot = join(work, 'root');
    await mkdir(join(fakeRoot, 'opt'), { recursive: true });
    await run('cp', ['-a', app, join(fakeRoot, 'opt', 'Nova')]);
    const macros = { executable: config.linux.executableName, sanitizedProductName: 'Nova', productFilename: 'Nova' };
    const env = { ...process.env, NOVA_PKG_ROOT: fakeRoot };
    for (const [name, file] of [['install', config.deb.afterInstall], ['remove', config.deb.afterRemove]] as const) {
      const script = join(work, `after-${name}.sh`);
      await writeFile(script, expandMacros(await readFile(join(ROOT, file), 'utf8'), macros));
      await chmod(script, 0o755);
    }
    await run(join(work, 'after-install.sh'), [], { env });
    expect(await readlink(join(fakeRoot, 'usr', 'bin', 'nova'))).toBe('/opt/Nova/resources/native/nova');
    expect(await readlink(join(fakeRoot, 'usr', 'bin', 'nova-desktop'))).toBe('/opt/Nova/nova-desktop');
    // Units, policy and sysusers.d are package files (see 'package files' above): the scripts never copy them.
    for (const f of ['usr/lib/systemd/system/nova-hydrate.service', 'usr/lib/systemd/system/nova-privd.service', 'usr/lib/systemd/system/nova-privd.socket', 'usr/share/polkit-1/actions/org.nova.policy', 'usr/lib/sysusers.d/nova.conf']) {
      expect(existsSync(join(fakeRoot, f)), f).toBe(false);
    }
    expect(await readFile(join(fakeRoot, 'usr/share/metainfo/org.nova.Nova.metainfo.xml'), 'utf8')).toContain('<id>org.nova.Nova</id>');
    await run(join(work, 'after-remove.sh'), [], { env });
    expect(existsSync(join(fakeRoot, 'usr/share/metainfo/org.nova.Nova.metainfo.xml'))).toBe(false);
    await expect(readlink(join(fakeRoot, 'usr', 'bin', 'nova'))).rejects.toThrow();
  });
});
