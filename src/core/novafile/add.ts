// novafile.addVm: append a [vm.NAME] entry to a project's NovaFile (the one `nova wizard vm
// --write` and the app write). The engine owns NovaFile edits; faces only pass the entry.
import { realpath, stat } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import type { Input, Output } from '../../shared/contract.js';
import { NovaError } from '../../shared/errors.js';
import { toToml } from '../../shared/presets.js';
import { writeFileAtomic } from '../sys/atomic.js';
import { locateNovafile, readNovafileText } from './load.js';
import { formatIssue, validateNovafileText } from './validate.js';

const hasVm = (doc: Record<string, unknown>, name: string): boolean => {
  const vm = doc.vm;
  return Boolean(vm && typeof vm === 'object' && Object.prototype.hasOwnProperty.call(vm, name));
};

export async function addVm(input: Input<'novafile.addVm'>): Promise<Output<'novafile.addVm'>> {
  const located = locateNovafile({ ...(input.path ? { path: input.path } : {}), ...(input.cwd ? { cwd: input.cwd } : {}) });
  // Through a symlink the link stays and its target gets the entry.
  const file = located.exists ? await realpath(located.file) : located.file;
  const text = located.exists ? await readNovafileText(file) : '';
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (e) {
    const at = e instanceof TomlError ? `:${e.line}:${e.column}` : '';
    throw new NovaError('INVALID_INPUT', `${file}${at}: the NovaFile does not parse as TOML, so nothing was appended`, { file, fix: `run \`nova validate -f ${file}\` and fix it first` });
  }
  if (hasVm(doc, input.name)) throw new NovaError('CONFLICT', `${file} already has [vm.${input.name}]`, { file, fix: 'pick another name or edit the entry' });
  const toml = toToml(input.name, input.spec);
  const next = `${text}${text && !text.endsWith('\n') ? '\n' : ''}${text ? '\n' : ''}${toml}`;
  // Only the new entry's problems refuse the write: the rest of the file is the user's business.
  const mine = validateNovafileText(next, file).errors.filter((i) => i.path === `vm.${input.name}` || i.path.startsWith(`vm.${input.name}.`) || i.path === '');
  if (mine.length) {
    throw new NovaError('INVALID_INPUT', `[vm.${input.name}] would not be a valid NovaFile entry:\n${mine.map(formatIssue).join('\n')}`, { errors: mine });
  }
  const mode = located.exists ? (await stat(file)).mode & 0o777 : 0o644;
  await writeFileAtomic(file, next, { mode });
  return { file, created: !located.exists, toml };
}
