// Runs a CommonJS bundle with V8's compiled-code cache: parsing and compiling the 1.3 MB CLI is
// most of a cold `nova` start, and Node 20 has no built-in compile cache. The cache sits next to
// the bundle (or under ~/.cache/nova when that folder is read-only; only there for a package's
// bundle, whose folder the package manager owns), keyed by the Node version; V8 itself rejects
// stale data, in which case we simply write a fresh cache.
import { isAscii } from 'node:buffer';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';

function cachePaths(bundle, beside) {
  const name = `${basename(bundle)}.${process.version}.${process.arch}.cache`;
  const home = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return [...(beside ? [join(dirname(bundle), name)] : []), join(home, 'nova', name)];
}

/** `beside: false`: never write next to the bundle (a package's files, even when root runs it). */
export function runCached(bundle, { beside = true } = {}) {
  // The bundle is ASCII (build-node.mjs checks): decoding it as Latin-1 gives the same string at
  // half the cost of UTF-8 decoding, which is most of reading it.
  const bytes = readFileSync(bundle);
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const candidates = cachePaths(bundle, beside);
  let cachedData;
  for (const p of candidates) {
    try {
      cachedData = readFileSync(p);
      break;
    } catch {
      /* not cached there */
    }
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    // After the command ran: the cache then also holds the functions it compiled lazily.
    process.once('exit', () => saveCache(candidates, script.createCachedData()));
  }
  const mod = new Module(bundle);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(dirname(bundle));
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}

function saveCache(candidates, data) {
  for (const p of candidates) {
    try {
      mkdirSync(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, p); // atomic: concurrent CLIs never read half a cache
      return;
    } catch {
      /* read-only here: try the next place */
    }
  }
}
