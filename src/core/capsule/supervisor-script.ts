// The capsule supervisor: a small standalone Node program (no imports from Nova, so it runs the
// same from sources, the bundled CLI or the app) that owns `crun|runc run` for one capsule:
// keeps timestamped stdout/stderr logs, records the exit code and time, applies the restart
// policy, and outlives the engine that started it. Written to disk by supervisor.ts.
export const SUPERVISOR_SCRIPT = String.raw`
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const dir = process.argv[2];
// The engine starts us early and sends the configuration on stdin once the capsule is ready.
let cfg;
try {
  cfg = JSON.parse(fs.readFileSync(0, 'utf8'));
} catch {
  process.exit(1); // the start was abandoned
}
// Stop goes through the runtime (kill TERM, then KILL); a closing terminal must not kill us.
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE']) process.on(s, () => {});

if (cfg.hideUnified) {
  // Private mount namespace (we run under unshare): crun refuses hybrid hosts otherwise.
  spawnSync('umount', ['/sys/fs/cgroup/unified'], { stdio: 'ignore' });
}

const writeAtomic = (path, text) => {
  const tmp = path + '.' + process.pid + '.tmp';
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, path);
};
writeAtomic(dir + '/supervisor.pid', String(process.pid) + '\n');

const logPath = dir + '/logs/console.log';
let fd = fs.openSync(logPath, 'a', 0o600);
let size = fs.fstatSync(fd).size;
const writeLine = (stream, line) => {
  const rec = Buffer.from(new Date().toISOString() + ' ' + stream + ' ' + line + '\n');
  fs.writeSync(fd, rec);
  size += rec.length;
  if (size > cfg.logMaxBytes) {
    fs.closeSync(fd);
    fs.renameSync(logPath, logPath + '.1');
    fd = fs.openSync(logPath, 'a', 0o600);
    size = 0;
  }
};
const pump = (readable, stream) =>
  new Promise((resolve) => {
    let buf = '';
    readable.setEncoding('utf8');
    readable.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        writeLine(stream, buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (buf.length > 65536) {
        writeLine(stream, buf);
        buf = '';
      }
    });
    readable.on('close', () => {
      if (buf) writeLine(stream, buf);
      resolve();
    });
  });

const readOomKills = (pid) => {
  try {
    const lines = fs.readFileSync('/proc/' + pid + '/cgroup', 'utf8').split('\n');
    const v1 = lines.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
    const file = v1 ? '/sys/fs/cgroup/memory' + v1.split(':')[2] + '/memory.oom_control' : '/sys/fs/cgroup' + (lines.find((l) => l.startsWith('0::')) || '0::/').slice(3) + '/memory.events';
    const m = /oom_kill (\d+)/.exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return undefined;
  }
};

const stopRequested = () => fs.existsSync(dir + '/stop-requested');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runOnce() {
  fs.rmSync(dir + '/container.pid', { force: true });
  const [bin, ...pre] = cfg.runtime;
  const child = spawn(bin, [...pre, 'run', '--bundle', cfg.bundle, '--pid-file', dir + '/container.pid', cfg.id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let oomKills = 0;
  let pid;
  const watch = setInterval(() => {
    if (!pid) {
      try { pid = Number(fs.readFileSync(dir + '/container.pid', 'utf8').trim()) || undefined; } catch {}
    }
    if (pid) {
      const n = readOomKills(pid);
      if (n !== undefined) oomKills = n;
    }
  }, 250);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((resolve) => child.on('error', (e) => resolve({ code: 127, signal: null, error: e.message })));
  const out = pump(child.stdout, 'stdout');
  const err = pump(child.stderr, 'stderr');
  const r = await Promise.race([exited, spawnError]);
  // The pipes close when every holder is gone; a daemonized grandchild may keep them open.
  let drainTimer;
  await Promise.race([Promise.all([out, err]), new Promise((r) => (drainTimer = setTimeout(r, 2000)))]);
  clearTimeout(drainTimer);
  clearInterval(watch);
  if (r.error) writeLine('stderr', 'nova: cannot run ' + bin + ': ' + r.error);
  const sig = r.signal ? os.constants.signals[r.signal] : undefined;
  let code = r.code ?? (sig ? 128 + sig : 255);
  // crun/runc report a signal death as 128+N; name it.
  const signame = r.signal || (code > 128 && code < 160 ? Object.keys(os.constants.signals).find((k) => os.constants.signals[k] === code - 128) : undefined);
  return { code, ...(signame ? { signal: signame } : {}), at: Date.now(), ...(oomKills > 0 ? { oomKilled: true } : {}) };
}

let restarts = 0;
for (;;) {
  const started = Date.now();
  const exit = await runOnce();
  // capsule.update may have changed the policy since we started.
  let policy = cfg.restart;
  try { policy = JSON.parse(fs.readFileSync(dir + '/supervisor.json', 'utf8')).restart; } catch {}
  const again = !stopRequested() && (policy === 'always' || (policy === 'on-failure' && exit.code !== 0));
  writeAtomic(dir + '/exit.json', JSON.stringify({ ...exit, restarts, restarting: again }) + '\n');
  if (!again) break;
  // Back off 0.2 s → 10 s, reset after a run that lasted 10 s; a stop request ends the wait.
  const backoff = Date.now() - started > 10000 ? 200 : Math.min(10000, 200 * 2 ** Math.min(restarts, 6));
  for (let waited = 0; waited < backoff && !stopRequested(); waited += 100) await sleep(100);
  if (stopRequested()) break;
  spawnSync(cfg.runtime[0], [...cfg.runtime.slice(1), 'delete', '-f', cfg.id], { stdio: 'ignore' });
  restarts++;
  writeLine('stderr', 'nova: restarting (policy ' + policy + ', restart ' + restarts + ')');
}
fs.closeSync(fd);
fs.rmSync(dir + '/supervisor.pid', { force: true });
process.exit(0);
`;
