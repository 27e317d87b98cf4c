import { Command, CommanderError } from 'commander';
import { NOVA_VERSION } from '../core/host/probe.js';
import { COMMAND_MODULES } from './commands/index.js';
import { CliContext } from './context.js';
import { EXIT, printError, UsageError } from './output.js';

/** Builds the `nova` program. Separate from run() so tests can inspect commands. */
export function buildProgram(): { program: Command; ctx: CliContext } {
  const program = new Command('nova')
    .description('Nova — VMs, capsules, networks and GPU passthrough on one Linux host')
    .version(NOVA_VERSION, '-V, --version')
    .option('--json', 'machine-readable output (the contract\'s output schema)')
    .option('-f, --novafile <path>', 'NovaFile to use (default: ./NovaFile)')
    .addHelpText('after', '\nEvery command also takes --host NAME (or NOVA_HOST=NAME): run it on that remote Nova host (`nova host ls`).')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const ctx = new CliContext(program);
  for (const register of COMMAND_MODULES) register(ctx);
  // Subcommands inherit exitOverride so usage errors come back here as CommanderError.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return { program, ctx };
}

/**
 * `--host NAME` (or NOVA_HOST) sends the command to another Nova host. Taken out of argv before
 * commander sees it, because `nova serve --host ADDR` already means the address to bind: after
 * `serve` (and for `serve` under NOVA_HOST) it stays serve's own.
 */
export function takeHostOption(argv: string[], env: NodeJS.ProcessEnv): { rest: string[]; host?: string } {
  const rest: string[] = [];
  let host: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (command !== 'serve' && (a === '--host' || a.startsWith('--host='))) {
      host = a === '--host' ? argv[++i] : a.slice('--host='.length);
      if (!host) throw new UsageError('--host needs a host name (`nova host ls` lists them)');
      continue;
    }
    if (command === undefined && (a === '-f' || a === '--novafile')) {
      rest.push(a, ...argv.slice(i + 1, i + 2));
      i++;
      continue;
    }
    if (command === undefined && !a.startsWith('-')) command = a;
    rest.push(a);
  }
  if (command === 'serve') return { rest };
  return { rest, host: host ?? (env.NOVA_HOST || undefined) };
}

/** Runs the CLI: 0 ok, 1 failure, 2 usage. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { program, ctx } = buildProgram();
  try {
    const { rest, host } = takeHostOption(argv, env);
    if (host) ctx.remoteHost = host;
    await program.parseAsync(rest, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    printError(e, Boolean(program.opts().json));
    const code = (e as { code?: string }).code;
    return code === 'INVALID_INPUT' && !(e as { details?: { errors?: unknown } }).details ? EXIT.usage : EXIT.failure;
  } finally {
    await ctx.close();
  }
}
