import { Command, CommanderError } from 'commander';
import { NOVA_VERSION } from '../core/host/probe.js';
import { COMMAND_MODULES } from './commands/index.js';
import { CliContext } from './context.js';
import { EXIT, printError } from './output.js';

/** Builds the `nova` program. Separate from run() so tests can inspect commands. */
export function buildProgram(): { program: Command; ctx: CliContext } {
  const program = new Command('nova')
    .description('Nova — VMs, capsules, networks and GPU passthrough on one Linux host')
    .version(NOVA_VERSION, '-V, --version')
    .option('--json', 'machine-readable output (the contract\'s output schema)')
    .option('-f, --novafile <path>', 'NovaFile to use (default: ./NovaFile)')
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

/** Runs the CLI: 0 ok, 1 failure, 2 usage. */
export async function run(argv: string[]): Promise<number> {
  const { program, ctx } = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
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
