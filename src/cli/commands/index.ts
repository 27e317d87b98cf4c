import type { CliContext } from '../context.js';
import { registerCapsuleCommands } from './capsule.js';
import { registerCoreCommands } from './core.js';
import { registerServeCommand } from './serve.js';

// Each area adds its commands here, one line each.
export const COMMAND_MODULES: ((ctx: CliContext) => void)[] = [registerCoreCommands, registerServeCommand, registerCapsuleCommands];
