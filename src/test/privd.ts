// A real `nova privd` for host tests: started as root inside a network namespace the test made,
// with its own socket and state folders, and the `nova` CLI run against it as test users.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NetnsLab } from './netns.js';
import { TestUsers } from './users.js';
import type { TestUser } from './users.js';
import { waitFor } from './wait.js';

const NOVA = resolve(import.meta.dirname, '../../bin/nova.mjs');
/** `nova` with GPU writes going to the fixture kernel of NOVA_SYSFS_ROOT (a test entry point). */
export const NOVA_GPU_FIXTURE = resolve(import.meta.dirname, 'nova-gpu-fixture.mjs');
export type Run = { code: number; stdout: string; stderr: string };
export type RawAnswer = { ok: boolean; value?: unknown; error?: { code: string; message: string; details?: { action?: string } } };

export const run = (argv: string[], env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((done) => {
    execFile(argv[0]!, argv.slice(1), { env, timeout: 120_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** The NovaError of a failed `--json` command. */
export const errorOf = (r: Run) => (JSON.parse(r.stderr) as { error: { code: string; message: string; details?: { action?: string } } }).error;

/** Processes whose cmdline contains `needle`, with the (effective) uid they run as. */
export function processes(needle: string): { pid: number; uid: number; cmd: string }[] {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!cmd.includes(needle)) continue;
      const uid = Number(/^Uid:\s*\d+\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))![1]);
      out.push({ pid: Number(e), uid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** After a privd test: the helper stopped, the lab's namespaces and the helper's folder removed, the test users gone. */
export function tearDownPrivdLab(p: PrivdLab | undefined, lab: NetnsLab, users: TestUsers): void {
  p?.stop();
  lab.cleanup(p ? [p.dir] : []);
  users.cleanup();
  p?.cleanup();
}

export class PrivdLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'nvpd-'));
  readonly sock = join(this.dir, 'privd.sock');
  helper: ChildProcess | undefined;
  log = '';

  constructor(readonly ns: string) {
    chmodSync(this.dir, 0o755);
  }

  /** A folder for a test user's NOVA_HOME. */
  home(u: TestUser): string {
    const home = join(this.dir, u.name);
    mkdirSync(home, { recursive: true });
    chownSync(home, u.uid, u.gid);
    return home;
  }

  /** `entry`: bin/nova.mjs, or a test entry point such as NOVA_GPU_FIXTURE. */
  async start(args: string[] = [], env: NodeJS.ProcessEnv = {}, entry = NOVA): Promise<void> {
    this.log = '';
    const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, entry, 'privd', '--socket', this.sock, ...args], {
      env: { ...process.env, NOVA_HOME: join(this.dir, 'root'), NOVA_FROM_SOURCE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => (this.log += d.toString()));
    this.helper = child;
    const listening = () => this.log.includes('privd: listening');
    const died = () => child.exitCode !== null || child.signalCode !== null;
    await waitFor('nova privd listening', () => listening() || died(), 60_000);
    // A helper killed (NOVA_CRASH_AT) or failed at start: say so now, not after the deadline.
    if (!listening()) throw new Error(`nova privd exited (${child.signalCode ?? child.exitCode}) before listening:\n${this.log}`);
  }

  /** `nova ARGS --json` as user `u` inside the namespace. */
  nova(u: TestUser, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    const home = this.home(u);
    return run(['ip', 'netns', 'exec', this.ns, ...TestUsers.as(u), process.execPath, NOVA, ...args, '--json'], {
      PATH: process.env.PATH,
      HOME: home,
      NOVA_HOME: home,
      NOVA_FROM_SOURCE: '1',
      NOVA_PRIVD_SOCKET: this.sock,
      ...env,
    });
  }

  /** One raw request to the helper as user `u`, bypassing the engine: what a hostile client could send. */
  async raw(u: TestUser, request: unknown): Promise<RawAnswer> {
    const js = `const s=require('net').createConnection(process.argv[1]);let b='';s.on('connect',()=>s.write(process.argv[2]+'\\n'));s.on('data',d=>b+=d);s.on('end',()=>process.stdout.write(b));`;
    const r = await run([...TestUsers.as(u), process.execPath, '-e', js, this.sock, JSON.stringify(request)], { PATH: process.env.PATH });
    return JSON.parse(r.stdout) as RawAnswer;
  }

  stop(): void {
    this.helper?.kill('SIGKILL');
  }

  cleanup(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
