// The one NovaFile loader: where the file is (`-f PATH` or the NovaFile in the project folder),
// its text (bounded in size, errors as NovaErrors), and the validated model. novafile.validate,
// plan/up/run/down, novafile.addVm, the CLI's VM commands and the MCP resource all read here.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { NOVAFILE_NAMES } from '../../shared/names.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';
import { checkNovafileSize, validateOffThread } from './offthread.js';
import { formatIssue, validateNovafileText } from './validate.js';

export { NOVAFILE_NAMES };

/** A NovaFile by path, by project folder, or as text (`path` then only names it in messages). */
export interface NovafileSource {
  path?: string;
  cwd?: string;
  text?: string;
}

export interface NovafileText {
  /** The file's path (absolute when read from disk; as given for text). */
  file: string;
  /** Its folder: relative volume and image paths resolve against it. */
  dir: string;
  text: string;
}

export interface LoadedNovafile extends NovafileText {
  novafile: NovaFile;
}

/** Where the NovaFile of `cwd` (or `-f PATH`) is, or would be created. */
export function locateNovafile(src: { path?: string; cwd?: string }): { file: string; exists: boolean } {
  const cwd = src.cwd ?? process.cwd();
  if (src.path) {
    const file = resolve(cwd, src.path);
    return { file, exists: existsSync(file) };
  }
  for (const n of NOVAFILE_NAMES) {
    const file = join(cwd, n);
    if (existsSync(file)) return { file, exists: true };
  }
  return { file: join(cwd, 'NovaFile'), exists: false };
}

/** `-f PATH` or the NovaFile in `cwd`; NOT_FOUND when the folder has none. */
export function findNovafile(path: string | undefined, cwd = process.cwd()): string {
  const l = locateNovafile({ ...(path ? { path } : {}), cwd });
  if (!path && !l.exists) throw new NovaError('NOT_FOUND', `no NovaFile in ${cwd}`, { fix: 'create one (see README) or pass -f PATH' });
  return l.file;
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

/** The text of a source: given, or read from the file `findNovafile` picks. Size-checked either way. */
export async function readNovafileSource(src: NovafileSource): Promise<NovafileText> {
  const cwd = src.cwd ?? process.cwd();
  if (src.text !== undefined) {
    const file = src.path ?? (src.cwd ? join(src.cwd, 'NovaFile') : 'NovaFile');
    checkNovafileSize(Buffer.byteLength(src.text), file);
    return { file, dir: src.cwd ?? dirname(resolve(cwd, file)), text: src.text };
  }
  const file = findNovafile(src.path, cwd);
  return { file, dir: dirname(file), text: await readNovafileText(file) };
}

/** Above this, parsing and validating run in a worker so a server keeps answering meanwhile. */
const OFF_THREAD_BYTES = 256 * 1024;

/** Loads a valid NovaFile or throws INVALID_INPUT whose details carry every located error. */
export async function loadNovafile(src: NovafileSource = {}): Promise<LoadedNovafile> {
  const t = await readNovafileSource(src);
  const { novafile, errors } = t.text.length > OFF_THREAD_BYTES ? await validateOffThread(t.text, t.file) : validateNovafileText(t.text, t.file);
  if (!novafile) {
    throw new NovaError('INVALID_INPUT', `${errors.length} error(s) in ${t.file}:\n${errors.map(formatIssue).join('\n')}`, { errors });
  }
  return { ...t, novafile };
}
