#!/usr/bin/env node
// Runs bench/run.ts under tsx (benches import the TypeScript sources directly).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'run.ts')).href);
