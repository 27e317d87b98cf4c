import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NetnsLab, suffix } from '../src/test/netns';
import { TEST_GUEST_DIR } from '../src/test/guest';
import { buildGpuFixture } from './gpu-fixture';
import { startWeston, stopProcess, waitFor } from './weston';
import type { Weston } from './weston';

// One headless weston (a real Wayland compositor) and one `nova serve` (the real engine, empty
// NOVA_HOME, a fixture sysfs for GPUs) for the whole run. Tests read where they are from the env
// set here; teardown stops both by PID and removes the temp dirs.

const ROOT = resolve(import.meta.dirname, '..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('the renderer is not built: run `npm run build` first');
  const home = mkdtempSync(join(tmpdir(), 'nova-e2e-home-'));
  // A root engine's QEMU runs as nova-qemu and opens files by path after the start (an external
  // snapshot's overlay): like /var/lib above a packaged install, the folders above NOVA_HOME must
  // let it pass (search only; mkdtemp makes 0700). Nova opens up its own folders below.
  chmodSync(home, 0o711);
  let weston: Weston | undefined;
  let serve: ChildProcess | undefined;
  // As root, the engine manages networks inside its own namespace with its own nft table
  // (NOVA_NETNS / NOVA_NFT_TABLE): bridges, dnsmasq and rules never touch the host's.
  const lab = process.getuid?.() === 0 ? new NetnsLab() : undefined;
  const tag = suffix();
  const netns = lab?.add(`nova-e2e-${tag}`);

  const teardown = async () => {
    await stopProcess(serve);
    await weston?.stop();
    // dnsmasq/tcpdump the engine started for this run mention our NOVA_HOME in their argv.
    lab?.cleanup([home]);
    rmSync(home, { recursive: true, force: true });
  };

  try {
    weston = await startWeston();
    const token = randomBytes(24).toString('base64url');
    const tokenFile = join(home, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const sysfs = await buildGpuFixture(join(home, 'sysfs'));
    // The specs make their rootfs folders, pools and disks in the temp dir and boot the shared test
    // guest from its cache: allow both on this host, as a user would for folders of their own (the
    // path policy refuses folders outside allowed roots; `nova config allow-root` writes the same).
    mkdirSync(join(home, 'nova', 'config'), { recursive: true });
    writeFileSync(join(home, 'nova', 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [tmpdir(), TEST_GUEST_DIR] }), { mode: 0o600 });
    // The test entry point: `nova` whose engine writes sysfs through the GPU fixture kernel.
    serve = spawn(process.execPath, [join(ROOT, 'src', 'test', 'nova-gpu-fixture.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], {
      env: {
        ...process.env,
        NOVA_HOME: join(home, 'nova'),
        NOVA_SYSFS_ROOT: sysfs,
        XDG_RUNTIME_DIR: weston.runtime,
        ...(netns ? { NOVA_NETNS: netns, NOVA_NFT_TABLE: `nova_e2e_${tag}` } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: home,
    });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(`nova serve to print its URL (${out.slice(-400)})`, () => /serving on (http:\/\/\S+)/.test(out) || serve!.exitCode !== null);
    const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
    if (!url) throw new Error(`nova serve exited: ${out}`);
    await waitFor('/healthz', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true);

    Object.assign(process.env, {
      NOVA_E2E_URL: url,
      NOVA_E2E_TOKEN: token,
      NOVA_E2E_HOME: home,
      NOVA_E2E_NOVA_HOME: join(home, 'nova'),
      NOVA_E2E_SYSFS: sysfs,
      NOVA_E2E_WAYLAND_DISPLAY: weston.socket,
      NOVA_E2E_XDG_RUNTIME_DIR: weston.runtime,
      NOVA_E2E_SERVE_PID: String(serve.pid),
      ...(netns ? { NOVA_E2E_NETNS: netns } : {}),
      NOVA_E2E_WESTON_PID: String(weston.pid),
    });
    return teardown;
  } catch (e) {
    await teardown();
    throw e;
  }
}
