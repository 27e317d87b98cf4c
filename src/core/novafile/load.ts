import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { NOVAFILE_NAMES } from '../../shared/names.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';
import { checkNovafileSize, validateOffThread } from './offthread.js';
import { formatIssue } from './validate.js';

export { NOVAFILE_NAMES };

export interface LoadedNovafile {
  /** Absolute path of the file. */
  file: string;
  /** Its folder: relative volume and image paths resolve against it. */
  dir: string;
  text: string;
  novafile: NovaFile;
}

/** `-f PATH` or the NovaFile in `cwd`. */
export function findNovafile(path: string | undefined, cwd = process.cwd()): string {
  if (path) return isAbsolute(path) ? path : resolve(cwd, path);
  for (const n of NOVAFILE_NAMES) {
    const p = join(cwd, n);
    if (existsSync(p)) return p;
  }
  throw new NovaError('NOT_FOUND', `no NovaFile in ${cwd}`, { fix: 'create one (see README) or pass -f PATH' });
}

export async function readNovafileText(file: string): Promise<string> {
  try {
    checkNovafileSize((await stat(file)).size, file);
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NovaError('NOT_FOUND', `NovaFile ${file} does not exist`, { file });
    if (code === 'EACCES') throw new NovaError('PERMISSION', `cannot read ${file}: permission denied`, { file });
    throw e;
  }
}

/** Loads a valid NovaFile or throws INVALID_INPUT whose details carry every located error. */
export async function loadNovafile(opts: { path?: string; cwd?: string } = {}): Promise<LoadedNovafile> {
  const file = findNovafile(opts.path, opts.cwd);
  const text = await readNovafileText(file);
  const { novafile, errors } = await validateOffThread(text, file);
  if (!novafile) {
    throw new NovaError('INVALID_INPUT', `${errors.length} error(s) in ${file}:\n${errors.map(formatIssue).join('\n')}`, { errors });
  }
  return { file, dir: dirname(file), text, novafile };
}
