// exec's argv on real crun and runc: one process file for captured and interactive exec, extra env
// that keeps the capsule's own (crun < 1.28 drops it all with `exec --env`), no secret in argv.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs, unmountUnder } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { toNovaError } from '../../shared/errors.js';

describeHost('capsule exec argv (crun and runc)', { root: true, tools: ['crun', 'runc'] }, () => {
  let home: TempHome;
  let engine: Engine;
  const names = ['ex-crun', 'ex-runc'] as const;
  const call = <T>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;
  type Exec = { exitCode: number; stdout: string; stderr: string };

  beforeAll(async () => {
    home = await tempHome('nova-exec-');
    const work = join(home.dir, 'work');
    mkdirSync(work, { recursive: true });
    busyboxRootfs(work);
    engine = home.engine();
    for (const [i, name] of names.entries()) {
      await call('capsule.create', {
        name,
        baseDir: work,
        start: true,
        spec: { capsule: './rootfs', runtime: i ? 'runc' : 'crun', env: { API_TOKEN: 's3cr3t-value' }, command: 'while :; do sleep 1; done' },
      });
    }
  });

  afterAll(async () => {
    for (const name of names) await engine?.dispatcher.call('capsule.rm', { name, force: true });
    if (home) unmountUnder(home.dir);
    await home?.cleanup();
  });

  it.each(names)('%s: -e adds to the capsule env instead of replacing it; secrets stay out of argv', async (name) => {
    const r = await call<Exec>('capsule.exec', { name, command: ['sh', '-c', 'echo "$GREETING|$API_TOKEN|$PATH"; id -u'], env: { GREETING: 'hi' }, user: '65534' });
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout.split('\n')).toEqual(['hi|«redacted»|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '65534']);
    // Captured exec leaves no process file behind.
    expect(readdir(name)).toEqual([]);
  });

  it.each(names)('%s: execArgv hands out a runnable argv with a terminal, TERM and a private process file', async (name) => {
    const { argv, runtime } = await call<{ argv: string[]; runtime: string }>('capsule.execArgv', { name, command: ['sh'], env: { EXTRA: 'x' }, workdir: '/tmp', tty: true });
    expect(runtime).toBe(name.slice(3));
    expect(argv[0]).toMatch(new RegExp(`/${runtime}$`));
    expect(argv.join(' ')).not.toMatch(/s3cr3t|EXTRA/);
    const file = argv[argv.indexOf('--process') + 1]!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const proc = JSON.parse(readFileSync(file, 'utf8')) as { terminal: boolean; args: string[]; cwd: string; env: string[] };
    expect(proc).toMatchObject({ terminal: true, args: ['sh'], cwd: '/tmp' });
    expect(proc.env).toEqual(expect.arrayContaining(['TERM=xterm', 'EXTRA=x', 'API_TOKEN=s3cr3t-value']));
    // Without a terminal on stdin the runtime refuses the tty: proof the flag reached it.
    const r = await engine.runner.run(argv, { allowFailure: true, timeoutMs: 10_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/tcgetattr|tty/i);
  });

  it('refuses a capsule that does not run, and drops handed-out files when the engine closes', async () => {
    const missing = toNovaError(await call('capsule.execArgv', { name: 'nope', command: ['sh'] }).catch((e: unknown) => e));
    expect(missing.code).toBe('NOT_FOUND');
    await call('capsule.stop', { name: 'ex-runc', timeout: 0 });
    const stopped = toNovaError(await call('capsule.execArgv', { name: 'ex-runc', command: ['sh'] }).catch((e: unknown) => e));
    expect(stopped.code).toBe('CONFLICT');
    expect(stopped.message).toMatch(/exec needs it running/);
    expect(readdir('ex-crun').length).toBeGreaterThan(0);
    await engine.close();
    expect(readdir('ex-crun')).toEqual([]);
    engine = home.engine();
  });

  const readdir = (name: string) => {
    const dir = join(home.dir, 'data', 'capsules', name, 'exec');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
});
