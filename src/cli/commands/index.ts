import type { CliContext } from '../context.js';
import { registerCoreCommands } from './core.js';
import { registerServeCommand } from './serve.js';
import { registerNetCommands } from './net.js';

// Each area adds its commands here, one line each.
export const COMMAND_MODULES: ((ctx: CliContext) => void)[] = [registerCoreCommands, registerServeCommand, registerNetCommands];
