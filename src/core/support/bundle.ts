import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Output, ParsedInput } from '../../shared/contract.js';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { NOVAFILE_NAMES } from '../../shared/names.js';
import { collectSecrets, scrubJson, scrubText, secretsFromEnv, secretsFromToml } from './scrub.js';
import type { Scrubber } from './scrub.js';

// `nova support bundle`: everything a bug report needs in one tar.gz (or folder), and nothing that
// must not leave the machine. Every file passes the scrubber before it is written.

type BundleInput = ParsedInput<'support.bundle'>;
type BundleOutput = Output<'support.bundle'>;

const MAX_FILE = 1024 * 1024;
const STATE_EXT = /\.(json|toml|log|txt|conf|yaml|yml)$/i;
const SKIP_DIRS = new Set(['images', 'captures', 'disks', 'rootfs', 'layers', 'blobs', 'overlay', 'upper', 'work']);

async function walk(dir: string, out: string[] = [], depth = 0): Promise<string[]> {
  if (depth > 6) return out;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(p, out, depth + 1);
    } else if (e.isFile() && (STATE_EXT.test(e.name) || NOVAFILE_NAMES.includes(e.name))) out.push(p);
  }
  return out;
}

async function readCapped(path: string): Promise<string> {
  const st = await stat(path);
  const text = await readFile(path, 'utf8');
  return st.size > MAX_FILE ? `…(first ${st.size - MAX_FILE} bytes cut)\n${text.slice(-MAX_FILE)}` : text;
}

async function hostMetrics(): Promise<Record<string, unknown>> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const mem: Record<string, number> = {};
  for (const line of meminfo.split('\n')) {
    const m = /^(MemTotal|MemAvailable|SwapTotal|SwapFree|HugePages_Total|HugePages_Free|Hugepagesize):\s+(\d+)/.exec(line);
    if (m) mem[m[1]!] = Number(m[2]);
  }
  return { at: new Date().toISOString(), loadavg: os.loadavg(), uptimeSeconds: os.uptime(), memoryKiB: mem, cpus: os.cpus().length };
}

export async function buildBundle(engine: EngineContext, input: BundleInput, metrics: unknown[] = []): Promise<BundleOutput> {
  const cwd = input.cwd ?? process.cwd();
  const stamp = new Date(engine.clock.now()).toISOString().replace(/[:.]/g, '-');
  const name = `nova-support-${stamp}`;
  const output = resolve(cwd, input.output ?? (input.format === 'dir' ? name : `${name}.tar.gz`));
  if (existsSync(output)) throw new NovaError('CONFLICT', `${output} already exists`, { fix: 'pass another -o path or remove it' });
  if (!existsSync(dirname(output))) throw new NovaError('INVALID_INPUT', `output: folder ${dirname(output)} does not exist`, { fix: 'create it or pass another -o' });

  // Secrets first: from the environment, NovaFiles and state, so they can be scrubbed anywhere.
  const keys = new Set<string>();
  const secrets = secretsFromEnv(engine.env, new Set<string>(), keys);
  const novafilePath = input.novafile ? resolve(cwd, input.novafile) : NOVAFILE_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  const novafileText = novafilePath ? await readFile(novafilePath, 'utf8').catch(() => undefined) : undefined;
  const novafileParsed = novafileText !== undefined && secretsFromToml(novafileText, secrets, keys);
  const stateFiles = (await Promise.all([engine.paths.config, engine.paths.data, engine.paths.runtime].map((d) => walk(d)))).flat();
  const stateTexts = new Map<string, string>();
  for (const f of stateFiles) {
    const text = await readCapped(f).catch(() => undefined);
    if (text === undefined) continue;
    stateTexts.set(f, text);
    if (f.endsWith('.json')) {
      try {
        collectSecrets(JSON.parse(text), secrets, false, keys);
      } catch {
        /* a log-like .json: scrubbed as text */
      }
    } else if (f.endsWith('.toml') || NOVAFILE_NAMES.includes(basename(f))) secretsFromToml(text, secrets, keys);
  }
  const scrub: Scrubber = { secrets, keys, mask: input.redact, hostnames: [...new Set([os.hostname(), os.hostname().split('.')[0]!])] };

  const staging = await mkdtemp(join(os.tmpdir(), 'nova-bundle-'));
  const top = join(staging, name);
  const files: string[] = [];
  const put = async (rel: string, content: string) => {
    await mkdir(dirname(join(top, rel)), { recursive: true });
    await writeFile(join(top, rel), content);
    files.push(rel);
  };
  const putJson = (rel: string, value: unknown) => put(rel, `${JSON.stringify(scrubJson(value, scrub), null, 2)}\n`);
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | { error: string }> =>
    fn().catch((e: Error) => ({ error: `${what} failed: ${e.message}` }));

  try {
    await putJson('host/info.json', await attempt('host.info', () => engine.host.info()));
    await putJson('host/metrics.json', await hostMetrics());
    if (metrics.length) await putJson('metrics/samples.json', metrics);
    await put('host/cmdline.txt', scrubText(await readFile(join(engine.sysfsRoot, '..', 'proc', 'cmdline'), 'utf8').catch(() => 'unreadable\n'), scrub));
    await put('host/modules.txt', scrubText(await readFile('/proc/modules', 'utf8').catch(() => 'unreadable\n'), scrub));
    const dmesg = await engine.runner.run(['dmesg', '--ctime'], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
    if (dmesg && dmesg.exitCode === 0) {
      const relevant = dmesg.stdout.split('\n').filter((l) => /vfio|iommu|dmar|amd-vi|nvidia|nvrm|amdgpu|i915|pci .*reset|kvm/i.test(l)).slice(-400);
      await put('host/dmesg-gpu.txt', scrubText(`${relevant.join('\n')}\n`, scrub));
    }
    await putJson('preflight.json', await attempt('support.preflight', () => engine.call('support.preflight', {})));
    await putJson('gpu/inventory.json', await attempt('gpu.list', () => engine.call('gpu.list', {})));
    const lspciPath = engine.sysfsRoot === '/sys' ? [] : ['-A', 'linux-sysfs', '-O', `sysfs.path=${join(engine.sysfsRoot, 'bus', 'pci')}`];
    const lspci = await engine.runner.run(['lspci', '-nnk', ...lspciPath], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
    if (lspci) await put('gpu/lspci-nnk.txt', scrubText(lspci.stdout || lspci.stderr, scrub));
    await putJson('resources.json', await attempt('resource.list', () => engine.call('resource.list', {})));
    if (novafileText !== undefined && novafilePath) {
      // Raw text keeps comments and line numbers; every secret value found by parsing is replaced.
      await put(`novafile/${basename(novafilePath)}`, novafileParsed ? scrubText(novafileText, scrub) : '# not included: the file is not valid TOML, so its secrets cannot be located\n');
      await putJson('novafile/validate.json', await attempt('novafile.validate', () => engine.call('novafile.validate', { path: novafilePath })));
    }
    for (const [f, text] of stateTexts) {
      const root = [engine.paths.config, engine.paths.data, engine.paths.runtime].find((r) => f.startsWith(`${r}/`))!;
      const area = root === engine.paths.config ? 'config' : root === engine.paths.data ? 'data' : 'runtime';
      const rel = join('nova', area, relative(root, f));
      if (f.endsWith('.json')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          await put(rel, scrubText(text, scrub));
          continue;
        }
        await putJson(rel, parsed);
      } else await put(rel, scrubText(text, scrub));
    }
    await put(
      'README.txt',
      `Nova support bundle ${stamp}\nNova ${(await engine.host.info().catch(() => undefined))?.nova.version ?? ''}\n` +
        `Secrets (env values, tokens, passwords) are never included: ${secrets.size} value(s) were scrubbed.\n` +
        (input.redact ? 'Redacted: hostnames, serials, MAC addresses, public IPs and user names are masked.\n' : 'Not redacted: hostnames, MACs and IPs are as on the host (use --redact to mask them).\n') +
        `\nFiles:\n${files.map((f) => `  ${f}`).join('\n')}\n`,
    );

    if (input.format === 'dir') {
      if (existsSync(output)) throw new NovaError('CONFLICT', `${output} already exists`, { fix: 'pass another -o DIR or remove it' });
      await rename(top, output).catch(async () => {
        await engine.runner.run(['cp', '-a', top, output]);
      });
    } else {
      await engine.runner.run(['tar', '-czf', output, '-C', staging, name], { timeoutMs: 120_000 });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const bytes = input.format === 'dir' ? (await Promise.all(files.map((f) => stat(join(output, f)).then((s) => s.size)))).reduce((a, b) => a + b, 0) : (await stat(output)).size;
  return { path: output, format: input.format, files: files.sort(), bytes, redacted: input.redact, secretsScrubbed: secrets.size };
}
