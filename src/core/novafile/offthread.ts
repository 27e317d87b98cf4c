// NovaFile parsing and validation are CPU work that grows with the file (a 4 MB file took ~9 s
// on the event loop): they run in a worker thread, bounded in size and time, so the server keeps
// answering everyone else meanwhile.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NovaError } from '../../shared/errors.js';
import { findBuildOutput } from '../sys/assets.js';
import type { Output } from '../../shared/contract.js';
import { validationSummary } from './summary.js';
import { validateNovafileText } from './validate.js';
import type { ValidationResult } from './validate.js';

/** The largest NovaFile Nova reads: far beyond any real project, small enough to validate quickly. */
export const MAX_NOVAFILE_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export function checkNovafileSize(bytes: number, file: string): void {
  if (bytes > MAX_NOVAFILE_BYTES) {
    throw new NovaError('INVALID_INPUT', `${file}: the NovaFile is ${bytes} bytes, more than the ${MAX_NOVAFILE_BYTES}-byte limit`, { file, fix: 'split it into several projects, or remove generated content' });
  }
}

/** The worker: the bundled one next to a build, or the TypeScript source (run through tsx). */
function newWorker(): Worker | undefined {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // Sources (tests, NOVA_FROM_SOURCE): register tsx inside the worker, then load the entry.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const entry = new URL('./validate-worker.ts', import.meta.url).href;
    return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
  }
  const bundled = findBuildOutput('cli/novafile-worker.cjs');
  return bundled ? new Worker(bundled) : undefined;
}

/** The parsed, validated NovaFile (for plan/up), computed in a worker. */
export const validateOffThread = (text: string, file: string): Promise<ValidationResult> => inWorker(text, file, false, validateNovafileText);

/** The answer of `novafile.validate`, computed (and redacted) entirely in a worker. */
export const validationSummaryOffThread = (text: string, file: string): Promise<Output<'novafile.validate'>> => inWorker(text, file, true, validationSummary);

async function inWorker<T>(text: string, file: string, summary: boolean, inline: (text: string, file: string) => T): Promise<T> {
  checkNovafileSize(Buffer.byteLength(text), file);
  const worker = newWorker();
  // A build without the worker file (should not happen) still validates, on this thread.
  if (!worker) return inline(text, file);
  try {
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new NovaError('TIMEOUT', `${file}: validating took longer than ${TIMEOUT_MS / 1000} s`, { file })), TIMEOUT_MS);
      worker.once('message', (m: { ok: true; result: T } | { ok: false; message: string }) => {
        clearTimeout(timer);
        if (m.ok) resolve(m.result);
        else reject(new NovaError('INVALID_INPUT', `${file}: ${m.message}`, { file }));
      });
      worker.once('error', (e) => {
        clearTimeout(timer);
        reject(new NovaError('INTERNAL', `${file}: the validation worker failed: ${e.message}`, { file }));
      });
      worker.postMessage({ text, file, summary });
    });
  } finally {
    void worker.terminate();
  }
}
