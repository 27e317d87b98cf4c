// `npm start`: always a working UI. Electron when its binary is present (or its installer can
// fetch it); otherwise `nova serve` plus a Chromium app window on Wayland (X11 as a fallback, the
// URL when there is no display). Says plainly which path it took.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNeeded, electronBinary, findBrowser, waylandAvailable } from './detect.js';
import { clearInstance, instanceFile, recordInstance, runningInstance } from './instance.js';
import { electronMemoFile, forgetFailure, rememberedFailure, rememberFailure } from './electron-memo.js';
import { browserArgs, electronArgs, planLaunch } from './plan.js';
import { requestSignInCode, writeSignInPage } from './signin.js';
import type { LaunchFacts, LaunchPlan } from './plan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (msg: string) => process.stdout.write(`nova start: ${msg}\n`);

interface Options {
  browser: boolean;
  build: boolean;
  retryElectron: boolean;
  port: string;
  rest: string[];
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  const o: Options = { browser: env.NOVA_START_BROWSER === '1', build: env.NOVA_START_NO_BUILD !== '1', retryElectron: false, port: env.NOVA_PORT ?? '0', rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--browser') o.browser = true;
    else if (a === '--no-build') o.build = false;
    else if (a === '--retry-electron') o.retryElectron = true;
    else if (a === '--port') o.port = argv[++i] ?? '0';
    else o.rest.push(a);
  }
  return o;
}

const exited = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 15) : 1)));
  });

async function build(why: string): Promise<boolean> {
  say(`building first (${why})…`);
  const child = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  return (await exited(child)) === 0;
}

/** electron's own installer, bounded: on machines without network it fails within seconds. */
async function tryInstaller(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ result: 'ok' } | { result: 'failed'; reason: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'electron', 'install.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  if (code === 0) return { result: 'ok' };
  const reason = /(?:Error|error)[^\n]*/.exec(err)?.[0]?.slice(0, 200) ?? `exit ${code}`;
  say(`the Electron installer failed (${reason}); the next \`npm start\` goes straight to the browser UI.`);
  return { result: 'failed', reason };
}

/** Starts `nova serve` on loopback with a token file only we can read (in our 0700 folder); resolves with its URL. */
async function startServe(port: string, dir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; token: string }> {
  const token = randomBytes(24).toString('base64url');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nova.mjs'), 'serve', '--host', '127.0.0.1', '--port', port, '--token-file', tokenFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('`nova serve` did not report its URL within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`nova serve\` exited (${code}) before it was ready`));
    });
  });
  return { child, url, token };
}

const stop = (child: ChildProcess | undefined) => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
};

/** SIGTERM, then SIGKILL after `ms`; resolves once the process is gone. */
async function stopAndWait(child: ChildProcess | undefined, ms = 5000): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await gone;
  clearTimeout(timer);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const opts = parseArgs(argv, env);
  if (opts.build) {
    const why = buildNeeded(ROOT);
    if (why && !(await build(why))) {
      say('the build failed; fix the errors above and run `npm start` again.');
      return 1;
    }
  }

  const memo = electronMemoFile(env);
  if (opts.retryElectron) await forgetFailure(memo);
  const failedBefore = await rememberedFailure(memo);
  const facts: LaunchFacts = {
    electronBinary: electronBinary(ROOT, env),
    installer: env.NOVA_NO_DOWNLOAD === '1' || failedBefore ? 'failed' : 'untried',
    ...(failedBefore ? { failedBefore } : {}),
    preferBrowser: opts.browser,
    wayland: waylandAvailable(env),
    x11: Boolean(env.DISPLAY),
    browser: findBrowser(env),
  };
  let plan = planLaunch(facts);
  const record = instanceFile(env);

  if (plan.kind !== 'electron' && facts.browser && (facts.wayland || facts.x11)) {
    const running = await runningInstance(record);
    if (running) {
      say(`Nova is already open (launcher pid ${running.pid}, server ${running.server}): opening another window of it.`);
      // Same profile: Chromium hands the window to the running browser (which holds the session
      // cookie) and returns at once. No secret is needed on this command line.
      return exited(spawn(running.browser, [...running.browserArgs, `--app=${running.server}/`], { stdio: 'ignore', env }));
    }
  }

  const dir = plan.kind === 'electron' ? undefined : await mkdtemp(join(tmpdir(), 'nova-start-'));
  let served: Promise<Served> | undefined;
  if (plan.kind === 'install-electron') {
    say(plan.say);
    // One of the two is needed anyway: start the fallback server while the installer runs.
    served = startServe(opts.port, dir!, env);
    served.catch(() => undefined);
    const tried = await tryInstaller(env);
    facts.electronBinary = electronBinary(ROOT, env);
    facts.installer = facts.electronBinary ? 'ok' : 'failed';
    if (facts.electronBinary) await forgetFailure(memo);
    else await rememberFailure(memo, tried.result === 'failed' ? tried.reason : 'the installer left no binary').catch(() => undefined);
    plan = planLaunch(facts);
  }
  say(plan.say);

  if (plan.kind === 'electron') {
    if (served) stop((await served.catch(() => undefined))?.child);
    if (dir) await rm(dir, { recursive: true, force: true });
    const child = spawn(plan.binary, electronArgs(ROOT, opts.rest, env), { cwd: ROOT, stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    return exited(child);
  }
  return serveAndBrowse(plan, served ?? startServe(opts.port, dir!, env), dir!, record, env);
}

type Served = Awaited<ReturnType<typeof startServe>>;

/** The fallback: `nova serve` plus a Chromium app window (or the URL), until either ends. */
async function serveAndBrowse(plan: LaunchPlan, served: Promise<Served>, dir: string, record: string, env: NodeJS.ProcessEnv): Promise<number> {
  let serve: ChildProcess | undefined;
  let browser: ChildProcess | undefined;
  const signalled = new Promise<number>((resolve) => {
    process.once('SIGINT', () => resolve(130));
    process.once('SIGTERM', () => resolve(143));
  });
  try {
    const s = await served;
    serve = s.child;
    const serveExit = exited(serve);

    if (plan.kind === 'print-url') {
      // Printed to our own terminal only; paste it into the address bar (a browser started with
      // it as an argument would show it in /proc/PID/cmdline).
      say(`open ${s.url}/#token=${s.token}  in a browser's address bar (Ctrl+C stops the server)`);
      return await Promise.race([serveExit, signalled]);
    }
    if (plan.kind !== 'browser') throw new Error(`unexpected launch plan ${plan.kind}`);
    const root = process.getuid?.() === 0;
    if (root) say('running as root: Chromium needs --no-sandbox here; run `npm start` as your own user to keep its sandbox.');
    const log = join(dir, 'browser.log');
    const extra = (env.NOVA_BROWSER_ARGS ?? '').split(/\s+/).filter(Boolean);
    // The window starts on a private sign-in page (file path only on the command line).
    const page = await writeSignInPage(dir, s.url, await requestSignInCode(s.url, s.token));
    const args = [...browserArgs(plan.platform, page, join(dir, 'profile'), { root }), ...extra];
    browser = spawn(plan.browser, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    browser.stderr!.pipe(createWriteStream(log));
    const again = args.filter((a) => !a.startsWith('--remote-debugging-port') && !a.startsWith('--app='));
    await recordInstance(record, { pid: process.pid, server: s.url, browser: plan.browser, browserArgs: again });
    say(`UI window opened (browser pid ${browser.pid}, server ${s.url}); close the window or press Ctrl+C to stop.`);
    const browserExit = exited(browser);
    const code = await Promise.race([browserExit.then((c) => (c === 0 || c === 143 ? 0 : c)), serveExit.then((c) => (c === 0 ? 1 : c)), signalled]);
    if (code !== 0 && code < 128) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      say(`the browser or the server stopped unexpectedly (exit ${code}).${tail ? `\nLast browser messages:\n${tail}` : ''}`);
    }
    return code;
  } catch (e) {
    say((e as Error).message);
    return 1;
  } finally {
    await clearInstance(record);
    // Wait for both: Chromium writes into its profile until it is gone, and the folder must go.
    await Promise.all([stopAndWait(browser), stopAndWait(serve ?? (await served.catch(() => undefined))?.child)]);
    await removeProfileDir(dir);
  }
}

/** Chromium's helper processes (crashpad) may still write into the profile for a moment after the
 * browser exits: remove the folder until it stays gone. */
async function removeProfileDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
    if (!existsSync(dir)) return;
  }
}
