// Bundles the CLI/server (plain Node, no Electron) into out/cli/nova.mjs for a fast `nova` start.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/index.ts'],
  outfile: 'out/cli/nova.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log('built out/cli/nova.mjs');
