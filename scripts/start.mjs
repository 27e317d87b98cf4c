#!/usr/bin/env node
// `npm start`: the launcher lives in src/launcher (TypeScript, tested); run it through tsx.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { register } = await import('tsx/esm/api');
register();
const { main } = await import(pathToFileURL(join(root, 'src', 'launcher', 'run.ts')).href);
process.exit(await main(process.argv.slice(2)));
