// The CLI as one self-contained file (dependencies included): one file to parse makes a cold
// `nova` start fast, and packages need it because the app's node_modules live inside app.asar,
// which a plain `node` cannot read.
//
// format 'cjs' is what bin/nova.mjs and the packages' nova.mjs run through V8's code cache (Node 20
// has no module compile cache, and only classic scripts take cached data).
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// zod's `locales` namespace (40 languages, ~300 KB of the bundle, read by every cold `nova`)
// holds only English here: Nova never selects another locale, and English is zod's default.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

export async function bundleCli(root, outfile = join(root, 'out', 'cli-standalone', 'nova-full.mjs'), format = 'esm', entry = join(root, 'src', 'cli', 'index.ts')) {
  const cjs = format === 'cjs';
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    // ws's optional native speed-ups are not needed.
    external: ['bufferutil', 'utf-8-validate'],
    // ESM: CommonJS dependencies call require() for Node built-ins. CJS: import.meta from the file.
    banner: {
      js: cjs
        ? "const __novaMetaUrl = require('node:url').pathToFileURL(__filename).href;"
        : "import { createRequire as __novaCreateRequire } from 'node:module'; const require = __novaCreateRequire(import.meta.url);",
    },
    ...(cjs ? { define: { 'import.meta.url': '__novaMetaUrl', 'import.meta.dirname': '__dirname' } } : {}),
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'none',
    plugins: [zodEnglishOnly],
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * The bundles beside the main CLI, the same in a checkout (out/cli) and in the packages
 * (resources/cli): the `nova ls` fast path bin/nova.mjs and the packages' nova.mjs try first, and
 * NovaFile validation's worker thread (src/core/novafile/offthread.ts finds it beside the CLI).
 */
export const SIDE_BUNDLES = [
  { file: 'nova-fast.cjs', entry: join('src', 'cli', 'fast.ts') },
  { file: 'novafile-worker.cjs', entry: join('src', 'core', 'novafile', 'validate-worker.ts') },
];

export async function bundleSideEntries(root, dir) {
  for (const b of SIDE_BUNDLES) await bundleCli(root, join(dir, b.file), 'cjs', join(root, b.entry));
}
