// A real single-member etcd for tests that need the store but not a cluster of hosts: plain HTTP
// on loopback ports nobody uses, its data in a temp folder; stop() kills it (by its pid) and
// removes the folder.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../core/cluster/etcd.js';
import { freePort } from './capsule-fixtures.js';
import { waitFor } from './wait.js';

export interface TestEtcd {
  url: string;
  pid: number;
  stop(): void;
}

export async function startEtcd(prefix = 'ncl-etcd-'): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const [cp, pp] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${cp}`;
  const peer = `http://127.0.0.1:${pp}`;
  const child = spawn('etcd', ['--name', 'm', '--data-dir', join(dir, 'data'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `m=${peer}`, '--logger', 'zap', '--log-outputs', join(dir, 'log')], { stdio: 'ignore' });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new EtcdClient([url], undefined, 500);
  try {
    await waitFor('etcd answers', async () => {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): see ${dir}/log`);
      return probe.get('/x').then(() => true);
    }, 20_000, 100);
  } catch (e) {
    stop();
    throw e;
  } finally {
    probe.close();
  }
  return { url, pid: child.pid!, stop };
}
