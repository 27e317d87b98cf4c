// `npm run docs`: regenerates the command reference in COMMANDS.md from the CLI itself.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { commandReference, spliceReference } from '../src/cli/reference.js';

const file = join(import.meta.dirname, '..', 'COMMANDS.md');
const existing = await readFile(file, 'utf8').catch(() => '');
await writeFile(file, spliceReference(existing, commandReference(buildProgram().program)));
console.log('COMMANDS.md updated');
