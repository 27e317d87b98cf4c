import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { buildScenario } from '../gpu/testing/hosts.js';
import type { Engine } from '../engine.js';

// A bundle never contains a planted secret, whatever file it was planted in; --redact also masks
// identities. The tar.gz is extracted with the real tar and every file searched.
const NOVAFILE_SECRET = 'sk-novafile-98765431';
const STATE_SECRET = 'sk-state-planted-1234';
const ENV_SECRET = 'tok-env-55512345';
const PUBLIC_IP = '8.8.4.4';
const MAC = '52:54:00:ab:cd:ef';

let home: TempHome;
let engine: Engine;
let project: string;

beforeAll(async () => {
  home = await tempHome('nova-bundle-');
  const root = await buildScenario('desktop-rtx5090', join(home.dir, 'host'));
  engine = home.engine({ sysfsRoot: root, env: { ...home.env, DEPLOY_TOKEN: ENV_SECRET } });
  engine.bus.emit('metrics.sample', { kind: 'interface', name: 'br-lab', at: 1, values: { rxBytes: 1200, txBytes: 800 } });
  project = join(home.dir, 'project');
  await mkdir(project);
  await writeFile(
    join(project, 'NovaFile'),
    `project = "lab"\n\n[container.api]\ncapsule = "alpine:3.20"\nenv = { API_KEY = "${NOVAFILE_SECRET}", MODE = "prod" }\n`,
  );
  const capsule = join(home.dir, 'data', 'capsules', 'api');
  await mkdir(capsule, { recursive: true });
  await writeFile(join(capsule, 'state.json'), JSON.stringify({ name: 'api', spec: { capsule: 'alpine', env: { DB_PASSWORD: STATE_SECRET } }, mac: MAC }));
  await writeFile(
    join(capsule, 'console.log'),
    `boot ok\nconnecting with ${STATE_SECRET} and ${NOVAFILE_SECRET}\nDEPLOY_TOKEN is ${ENV_SECRET}\nlink ${MAC} peer ${PUBLIC_IP} lan 10.213.0.5\n`,
  );
}, 120_000);
afterAll(() => home.cleanup());

async function extract(tarball: string): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'nova-bundle-x-'));
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  const files = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else files.set(p.slice(dir.length + 1).split('/').slice(1).join('/'), await readFile(p, 'utf8'));
    }
  };
  await walk(dir);
  await rm(dir, { recursive: true, force: true });
  return files;
}

describe('support.bundle', () => {
  it('without --redact: host, preflight, GPUs, NovaFile, state and logs are in; no secret is', async () => {
    const out = join(home.dir, 'plain.tar.gz');
    const r = await engine.dispatcher.invoke('support.bundle', { output: out, cwd: project });
    expect(r).toMatchObject({ path: out, format: 'tar.gz', redacted: false });
    expect(r.secretsScrubbed).toBeGreaterThanOrEqual(3);
    const files = await extract(out);
    expect(JSON.parse(files.get('metrics/samples.json')!)).toEqual([{ kind: 'interface', name: 'br-lab', at: 1, values: { rxBytes: 1200, txBytes: 800 } }]);
    expect([...files.keys()]).toEqual(expect.arrayContaining(['README.txt', 'host/info.json', 'host/metrics.json', 'preflight.json', 'gpu/inventory.json', 'novafile/NovaFile', 'nova/data/capsules/api/state.json', 'nova/data/capsules/api/console.log']));
    for (const [name, text] of files) {
      for (const secret of [NOVAFILE_SECRET, STATE_SECRET, ENV_SECRET]) expect(text.includes(secret), `${secret} leaked into ${name}`).toBe(false);
    }
    expect(files.get('novafile/NovaFile')).toContain('API_KEY = "«redacted»"');
    expect(files.get('novafile/NovaFile')).toContain('MODE = "«redacted»"');
    expect(JSON.parse(files.get('gpu/inventory.json')!).gpus.map((g: { name: string }) => g.name)).toContain('NVIDIA GeForce RTX 5090');
    expect(files.get('nova/data/capsules/api/console.log')).toContain(MAC); // identities stay without --redact
  });

  it('--redact as a folder: also masks the hostname, MACs and public IPs, keeps private addresses', async () => {
    const out = join(home.dir, 'redacted');
    const r = await engine.dispatcher.invoke('support.bundle', { output: out, cwd: project, redact: true, format: 'dir' });
    expect(r.redacted).toBe(true);
    const log = await readFile(join(out, 'nova/data/capsules/api/console.log'), 'utf8');
    expect(log).toContain('link «mac» peer «public-ip» lan 10.213.0.5');
    const info = JSON.parse(await readFile(join(out, 'host/info.json'), 'utf8'));
    expect(info.hostname).toBe('«host»');
    const state = await readFile(join(out, 'nova/data/capsules/api/state.json'), 'utf8');
    expect(state).not.toContain(MAC);
    expect(state).not.toContain(STATE_SECRET);
    if (os.hostname().length >= 4) expect(await readFile(join(out, 'preflight.json'), 'utf8')).not.toContain(os.hostname());
  });

  it('refuses to overwrite an existing file and writes nothing', async () => {
    const out = join(home.dir, 'plain.tar.gz');
    await expect(engine.dispatcher.invoke('support.bundle', { output: out, cwd: project })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('support.bundle with env lists, short secrets and a running app', () => {
  it('works with any env name (API_KEY=… in a list), hides a 3-character PIN, and works while the app runs', async () => {
    const h = await tempHome('nova-bundle-env-');
    try {
      const e = h.engine();
      const capsule = join(h.dir, 'data', 'capsules', 'web');
      await mkdir(capsule, { recursive: true });
      // The OCI shape: env as KEY=VALUE strings.
      await writeFile(join(capsule, 'config.json'), JSON.stringify({ process: { env: ['API_KEY=abcd1234', 'PIN=x9z', 'PATH=/bin'] } }));
      await writeFile(join(capsule, 'console.log'), 'PIN=x9z\nserver up, key abcd1234\n');
      // `npm start` in browser mode keeps this record while the app runs.
      await mkdir(join(h.dir, 'run'), { recursive: true });
      await writeFile(join(h.dir, 'run', 'launcher.json'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:41000/', server: 'http://127.0.0.1:41000', token: 'launcher-token-zz', browser: '/usr/bin/chromium', browserArgs: ['--app=file:///tmp/x/open.html'] }));
      const out = join(h.dir, 'b');
      await e.dispatcher.invoke('support.bundle', { output: out, format: 'dir', cwd: h.dir });
      const all = execFileSync('grep', ['-r', '-l', '-E', 'abcd1234|x9z|launcher-token-zz', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      expect(all).toBe('');
    } catch (err) {
      // grep exits 1 when nothing matched: that is the pass.
      if ((err as { status?: number }).status !== 1) throw err;
    } finally {
      await h.cleanup();
    }
  });
});
