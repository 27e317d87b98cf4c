// OS image pulls against a loopback HTTP server started here: progress, resume after a cut
// connection, checksum and signature checks (a key made by the test), 404, cache, and the same
// pull by an ordinary user's engine.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaError } from '../../shared/errors.js';
import type { TaskInfo } from '../../shared/contract/task.js';
import type { OsImagePulled, OsImageRow } from '../../shared/contract/osimage.js';
import { describeHost, missing, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { clearsignedBody, findChecksum } from './verify.js';

const NOVA_BIN = join(import.meta.dirname, '../../../bin/nova.mjs');

describe('checksum lists', () => {
  it('reads GNU, binary-mode and BSD lines, and clearsigned bodies', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(128);
    expect(findChecksum(`${a}  x.qcow2\n`, 'x.qcow2', 'sha256')).toBe(a);
    expect(findChecksum(`${a} *dir/x.qcow2\n`, 'x.qcow2', 'sha256')).toBe(a);
    expect(findChecksum(`SHA256 (x.qcow2) = ${a.toUpperCase()}\n`, 'x.qcow2', 'sha256')).toBe(a);
    expect(findChecksum(`${b}  x.qcow2\n`, 'x.qcow2', 'sha256')).toBeUndefined();
    expect(findChecksum(`${b}  x.qcow2\n`, 'x.qcow2', 'sha512')).toBe(b);
    expect(findChecksum(`${a}  y.qcow2\n`, 'x.qcow2', 'sha256')).toBeUndefined();
    const signed = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSHA256 (x.qcow2) = ${a}\n-----BEGIN PGP SIGNATURE-----\nzz\n-----END PGP SIGNATURE-----\n`;
    expect(findChecksum(clearsignedBody(signed), 'x.qcow2', 'sha256')).toBe(a);
  });
});

interface Served {
  server: Server;
  url: string;
  /** Cut the connection after this many body bytes, once, for this path. */
  cut: Map<string, number>;
  ranges: string[];
}

async function serve(root: string): Promise<Served> {
  const cut = new Map<string, number>();
  const ranges: string[] = [];
  const server = createServer((req, res) => {
    const path = join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    void readFile(path).then(
      (body) => {
        let start = 0;
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        if (range) {
          ranges.push(req.headers.range!);
          start = Number(range[1]);
          res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
        } else res.writeHead(200, { 'content-length': body.length });
        const stop = cut.get(req.url ?? '');
        if (stop !== undefined) {
          cut.delete(req.url ?? '');
          res.write(body.subarray(start, stop), () => res.socket?.destroy());
          return;
        }
        res.end(body.subarray(start));
      },
      () => {
        res.writeHead(404);
        res.end('not found');
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, cut, ranges };
}

const gpg = (home: string, args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: 'pipe' });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeHost('nova image vm pull', { tools: ['gpg', 'gpgv', 'qemu-img'] }, () => {
  let home: TempHome;
  let web: Served;
  let files: string;
  let keyring: string;
  let image: Buffer;
  const entries: unknown[] = [];

  const entry = (name: string, dir: string, signed = true) => ({
    name,
    title: `test ${name}`,
    os: 'linux',
    kind: 'cloud',
    base: `${web.url}${dir}/`,
    file: 'disk.qcow2',
    checksums: { algorithm: 'sha256', file: 'SHA256SUMS' },
    ...(signed ? { signature: { file: 'SHA256SUMS.gpg', mode: 'detached', keyring } } : {}),
  });

  beforeAll(async () => {
    files = await mkdtemp(join(tmpdir(), 'npv-img-'));
    await chmod(files, 0o755);
    const gnupg = join(files, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    gpg(gnupg, ['--quick-gen-key', 'Nova Test Images <images@nova.test>', 'ed25519', 'sign', 'never']);
    keyring = join(files, 'test-key.gpg');
    await writeFile(keyring, gpg(gnupg, ['--export']));
    const other = join(files, 'gnupg-other');
    await mkdir(other, { mode: 0o700 });
    gpg(other, ['--quick-gen-key', 'Someone Else <else@nova.test>', 'ed25519', 'sign', 'never']);
    // The image: a real qcow2 with 3 MiB of data in it, so it is usable as a backing file.
    const raw = join(files, 'disk.raw');
    await writeFile(raw, randomBytes(3 * 1024 * 1024));
    const publish = async (dir: string, sums: string, signer = gnupg) => {
      await mkdir(join(files, dir));
      execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(files, dir, 'disk.qcow2')]);
      await writeFile(join(files, dir, 'SHA256SUMS'), sums);
      gpg(signer, ['--detach-sign', '-o', join(files, dir, 'SHA256SUMS.gpg'), join(files, dir, 'SHA256SUMS')]);
    };
    await publish('good', '');
    image = await readFile(join(files, 'good', 'disk.qcow2'));
    const line = `${sha256(image)}  disk.qcow2\n${'0'.repeat(64)}  other.img\n`;
    await writeFile(join(files, 'good', 'SHA256SUMS'), line);
    gpg(gnupg, ['--detach-sign', '-o', join(files, 'good', 'SHA256SUMS.gpg'), join(files, 'good', 'SHA256SUMS')]);
    await publish('corrupt', `${sha256(Buffer.from('something else'))}  disk.qcow2\n`);
    await publish('badsig', line, other);
    await mkdir(join(files, 'gone'));
    web = await serve(files);
    entries.push(entry('npv-good', 'good'), entry('npv-corrupt', 'corrupt'), entry('npv-badsig', 'badsig'), entry('npv-gone', 'gone', false), entry('npv-nosig', 'good', false), entry('npv-cli', 'good'));
    home = await tempHome('npv-');
    await writeFile(join(home.dir, 'config', 'os-images.json'), JSON.stringify({ images: entries }));
  });

  afterAll(async () => {
    await new Promise((r) => web?.server.close(r));
    await home?.cleanup();
    await rm(files, { recursive: true, force: true });
  });

  it('lists the built-in catalog and the user entries', async () => {
    const e = home.engine();
    const { items } = await e.call('image.vm.list', {});
    const names = items.map((i) => i.name);
    for (const n of ['debian-12', 'ubuntu-24.04', 'fedora-41', 'arch', 'windows-11', 'npv-good']) expect(names).toContain(n);
    expect(items.find((i) => i.name === 'windows-11')).toMatchObject({ kind: 'user-download', format: 'iso' });
    await expect(e.call('image.vm.pull', { name: 'windows-11' })).rejects.toThrow(/not downloaded by Nova.*microsoft\.com/);
    await expect(e.call('image.vm.pull', { name: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('shows progress, resumes a cut download with a Range request, checks the signature, then uses the cache', async () => {
    const e = home.engine();
    const seen: TaskInfo[] = [];
    e.bus.on('task.progress', (t) => seen.push(t));
    web.cut.set('/good/disk.qcow2', Math.floor(image.length / 2));
    const first = await e.call('image.vm.pull', { name: 'npv-good' }).catch((x: unknown) => x);
    expect(first).toBeInstanceOf(NovaError);
    expect((first as Error).message).toMatch(/connection closed after \d+ of \d+ bytes; pull again to resume/);
    const partial = (await e.call('image.vm.list', {})).items.find((i) => i.name === 'npv-good') as OsImageRow;
    expect(partial.partialBytes).toBeGreaterThan(0);
    expect(partial.path).toBeUndefined();

    const pulled = await e.call('image.vm.pull', { name: 'npv-good' });
    expect(web.ranges.length).toBe(1);
    expect(pulled.resumedFrom).toBe(partial.partialBytes);
    expect(pulled.sizeBytes).toBe(image.length);
    expect(pulled.checksum.value).toBe(sha256(image));
    expect(pulled.signature).toMatchObject({ checked: true });
    expect(pulled.signature.note).toMatch(/Good signature from "Nova Test Images/);
    expect(sha256(await readFile(pulled.path))).toBe(sha256(image));
    const fractions = seen.filter((t) => t.title === 'pull OS image npv-good' && t.state === 'running' && t.progress !== null).map((t) => t.progress!);
    expect(fractions.some((f) => f > 0 && f <= 1)).toBe(true);
    expect(seen.some((t) => t.title === 'pull OS image npv-good' && t.state === 'done')).toBe(true);

    const again = await e.call('image.vm.pull', { name: 'npv-good' });
    expect(again).toMatchObject({ cached: true, path: pulled.path });
    // Usable as a VM disk's backing file.
    const disk = await e.call('vm.disk.create', { path: join(home.dir, 'vm1.qcow2'), size: 0, backing: pulled.path });
    expect(disk.backingFile).toBe(pulled.path);
  });

  it('rejects a corrupted download with both sums and deletes it', async () => {
    const e = home.engine();
    const err = (await e.call('image.vm.pull', { name: 'npv-corrupt' }).catch((x: unknown) => x)) as NovaError;
    expect(err).toBeInstanceOf(NovaError);
    expect(err.message).toContain(`expected ${sha256(Buffer.from('something else'))}, got ${sha256(image)}`);
    expect(err.message).toMatch(/the file was deleted/);
    const dir = join(home.dir, 'data', 'os-images', 'npv-corrupt');
    expect(existsSync(join(dir, 'disk.qcow2'))).toBe(false);
    expect(existsSync(join(dir, 'disk.qcow2.part'))).toBe(false);
  });

  it('refuses checksums signed by a key not in the keyring, before downloading', async () => {
    const e = home.engine();
    await expect(e.call('image.vm.pull', { name: 'npv-badsig' })).rejects.toThrow(/signature check failed .*not trusted/);
    expect(existsSync(join(home.dir, 'data', 'os-images', 'npv-badsig', 'disk.qcow2.part'))).toBe(false);
  });

  it('says clearly when a file is not on the server (404) and when no signature is checked', async () => {
    const e = home.engine();
    const err = (await e.call('image.vm.pull', { name: 'npv-gone' }).catch((x: unknown) => x)) as NovaError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/gone\/SHA256SUMS: the server answered HTTP 404 \(not found\)/);
    const viaMirror = await e.call('image.vm.pull', { name: 'npv-nosig', mirror: `${web.url}good` });
    expect(viaMirror.signature.checked).toBe(false);
    expect(viaMirror.signature.note).toMatch(/no signature/);
  });

  it('the CLI shows the progress and the result; rm refuses while a VM disk is backed by the image', async () => {
    const r = await promisify(execFile)(process.execPath, [NOVA_BIN, 'image', 'vm', 'pull', 'npv-cli'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' } });
    expect(r.stderr).toMatch(/^100% npv-cli: 3\.\d+ MiB of 3\.\d+ MiB$/m);
    expect(r.stdout).toMatch(/^pulled npv-cli: .*disk\.qcow2/m);
    expect(r.stdout).toMatch(/^signature: checked — Good signature from "Nova Test Images/m);
    const e = home.engine();
    const path = join(home.dir, 'data', 'os-images', 'npv-cli', 'disk.qcow2');
    const vm = await e.call('vm.create', { name: 'npvback', spec: { disks: [{ path: join(home.dir, 'npvback.qcow2'), backing: path }], network: 'none' } });
    expect(vm.name).toBe('npvback');
    await expect(e.call('image.vm.rm', { name: 'npv-cli' })).rejects.toThrow(/backing file of VM disk npvback/);
    await e.call('vm.delete', { name: 'npvback', disks: true });
    expect(await e.call('image.vm.rm', { name: 'npv-cli' })).toMatchObject({ removed: true, freedBytes: expect.any(Number) });
    expect(existsSync(path)).toBe(false);
    await expect(e.call('image.vm.rm', { name: 'npv-cli' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe.skipIf(missing({ root: true }) !== undefined)('as an ordinary user', () => {
    let user: HomeUser;
    let userHome: string;
    beforeAll(async () => {
      user = createTestUser('npv');
      userHome = join(user.home, 'nova');
      await mkdir(join(userHome, 'config'), { recursive: true });
      await writeFile(join(userHome, 'config', 'os-images.json'), JSON.stringify({ images: entries }));
      execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, userHome]);
    });
    afterAll(() => user?.remove());

    it('pulls into the user\'s own data dir', async () => {
      const eng = await startUserEngine(user, { NOVA_HOME: userHome });
      try {
        const p = await eng.invoke<OsImagePulled>('image.vm.pull', { name: 'npv-good' });
        expect(p.path.startsWith(userHome)).toBe(true);
        expect(p.signature.checked).toBe(true);
        expect((await stat(p.path)).uid).toBe(user.uid);
      } finally {
        await eng.close();
      }
    });
  });
});
