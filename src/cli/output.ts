import { NovaError, toNovaError } from '../shared/errors.js';
import type { NovafileIssue } from '../shared/contract/novafile.js';
import { redact } from '../shared/redact.js';
import { writeErr } from './terminal.js';

export interface Column<T> {
  header: string;
  get: (row: T) => string | number | undefined;
  align?: 'left' | 'right';
}

/** Aligned plain-text table, like `podman ps`. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => String(c.get(r) ?? '-')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const fmt = (vals: string[]) =>
    vals
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === vals.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(columns.map((c) => c.header)), ...cells.map(fmt)].join('\n');
}

/** A "key  value" block for one resource (`nova vm inspect`); rows without a value are left out. */
export function details(rows: readonly (readonly [string, string | number | undefined])[]): string {
  const shown = rows.filter((r): r is readonly [string, string | number] => r[1] !== undefined && r[1] !== '');
  const w = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(redact(value), null, 2)}\n`);
}

/** Errors go to stderr with their code; --json prints the error object instead. */
export function printError(e: unknown, json: boolean): void {
  const err = toNovaError(e);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: redact(err.toJSON()) }, null, 2)}\n`);
    return;
  }
  const issues = (err.details as { errors?: NovafileIssue[] } | undefined)?.errors;
  const fix = (err.details as { fix?: string } | undefined)?.fix;
  writeErr(`nova: ${err.code}: ${err.message}\n${fix ? `  fix: ${fix}\n` : ''}`);
  if (issues && !err.message.includes('\n')) for (const i of issues) writeErr(`  ${i.file}:${i.line}:${i.column}: ${i.message}\n`);
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends NovaError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}

/** Commander option parser for a repeatable option: `-e A -e B` → ['A', 'B']. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
