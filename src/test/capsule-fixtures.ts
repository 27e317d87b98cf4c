// Fixtures for capsule tests and benches: a busybox rootfs, a real docker-registry on a random
// loopback port, and an image built with umoci and pushed there with skopeo.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export function busyboxRootfs(dir: string): string {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'data', 'usr/share/doc', 'root']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'usr/share/doc/readme'), 'from the image\n');
  return root;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Registry {
  addr: string;
  proc: ChildProcess;
  stop(): void;
}

export async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  mkdirSync(join(dir, 'registry'), { recursive: true });
  const cfg = join(dir, 'registry.yml');
  writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: ${addr}\n`);
  const proc = spawn('docker-registry', ['serve', cfg], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('curl', ['-sf', `http://${addr}/v2/`], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { addr, proc, stop: () => void (proc.exitCode === null && proc.kill('SIGKILL')) };
}

/** Builds an OCI image from `rootfs` with umoci and pushes it to the registry as `repo:tag`. */
export function pushImage(dir: string, rootfs: string, registry: string, repoTag: string, cmd: string[] = ['sh']): void {
  const layout = join(dir, 'build-oci');
  const img = `${layout}:t`;
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', img]);
  execFileSync('umoci', ['insert', '--image', img, rootfs, '/']);
  execFileSync('umoci', ['config', '--image', img, ...cmd.flatMap((c) => ['--config.cmd', c]), '--config.env', 'IMAGE_VAR=from-image', '--config.workingdir', '/']);
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${img}`, `docker://${registry}/${repoTag}`]);
}

/** Host mounts below `dir` (a test's home); capsule roots never show here. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(dir));
}

/** After a failed test: unmount anything left below `dir`, deepest first, so cleanup can remove it. */
export function unmountUnder(dir: string): void {
  for (const mp of mountsUnder(dir).reverse()) execFileSync('umount', ['-l', mp]);
}
