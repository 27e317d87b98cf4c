// The CLI as one self-contained ES module (dependencies included): one file to parse makes a cold
// `nova` start fast, and packages need it because the app's node_modules live inside app.asar,
// which a plain `node` cannot read.
import { join } from 'node:path';
import { build } from 'esbuild';

export async function bundleCli(root, outfile = join(root, 'out', 'cli-standalone', 'nova.mjs')) {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // ws's optional native speed-ups are not needed.
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __novaCreateRequire } from 'node:module'; const require = __novaCreateRequire(import.meta.url);" },
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}
