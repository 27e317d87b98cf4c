import type { Command } from 'commander';

// nova(1) in roff, from the commander tree: every command with its arguments and options.

/** Escapes text for roff: backslashes, hyphens, a leading . or ' that would read as a request, non-ASCII. */
const esc = (s: string): string =>
  s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1')
    // groff reads bytes: anything beyond ASCII goes as a named Unicode escape.
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);

export function manPage(program: Command, version: string, date = new Date()): string {
  const out = [
    `.TH NOVA 1 "${date.toISOString().slice(0, 10)}" "Nova ${esc(version)}" "User Commands"`,
    '.SH NAME',
    `nova \\- ${esc(program.description().replace(/^Nova \u2014 /, ''))}`,
    '.SH SYNOPSIS',
    '.B nova',
    '[\\fB\\-\\-json\\fR] [\\fB\\-f\\fR \\fINOVAFILE\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]',
    '.SH DESCRIPTION',
    'Nova manages KVM/QEMU virtual machines, OCI capsules (containers), Linux networks and VFIO GPU passthrough on one host. ' +
      'The CLI, the desktop app, NovaFiles and the API of \\fBnova serve\\fR share one contract. Every command takes \\fB\\-\\-json\\fR.',
    '.SH GLOBAL OPTIONS',
  ];
  for (const o of program.options) out.push('.TP', `.B ${esc(o.flags)}`, esc(o.description));
  out.push('.SH COMMANDS');
  const walk = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      const name = `${prefix} ${sub.name()}`.trim();
      if (sub.commands.length) {
        walk(sub, name);
        continue;
      }
      const args = sub.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
      out.push(`.SS "${esc(`nova ${name}${args ? ` ${args}` : ''}`).replace(/"/g, '')}"`, esc(sub.description()));
      for (const o of sub.options.filter((x) => x.long !== '--help')) {
        const def = o.defaultValue !== undefined && o.defaultValue !== false && !(Array.isArray(o.defaultValue) && !o.defaultValue.length) ? ` (default: ${String(o.defaultValue)})` : '';
        out.push('.TP', `.B ${esc(o.flags)}`, esc(`${o.description}${def}`));
      }
    }
  };
  walk(program, '');
  out.push(
    '.SH EXIT STATUS',
    '0 on success, 1 on failure, 2 on a usage error.',
    '.SH ENVIRONMENT',
    '.TP',
    '.B NOVA_HOME',
    'Put all of Nova\\(aqs config, data and runtime state under this folder.',
    '.SH SEE ALSO',
    'COMMANDS.md and docs/ in Nova\\(aqs sources; \\fBnova completion\\fR \\fIbash\\fR|\\fIzsh\\fR|\\fIfish\\fR.',
  );
  return `${out.join('\n')}\n`;
}
