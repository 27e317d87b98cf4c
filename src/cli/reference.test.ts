import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';
import { commandReference, spliceReference } from './reference.js';

describe('COMMANDS.md', () => {
  it('documents every command the CLI has (run `npm run docs` after changing commands)', () => {
    const current = readFileSync(join(import.meta.dirname, '..', '..', 'COMMANDS.md'), 'utf8');
    expect(spliceReference(current, commandReference(buildProgram().program))).toBe(current);
  });
});
