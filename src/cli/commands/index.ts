import type { CliContext } from '../context.js';
import { registerCapsuleCommands } from './capsule.js';
import { registerCoreCommands } from './core.js';
import { registerServeCommand } from './serve.js';
import { registerNetCommands } from './net.js';
import { registerVmCommands } from './vm.js';
import { registerGpuCommands } from './gpu.js';
import { registerSupportCommands } from './support.js';
import { registerNovafileCommands } from './novafile.js';
import { registerSystemCommands } from './system.js';
import { registerPrivdCommand } from './privd.js';
import { registerStorageCommands } from './storage.js';
import { registerConfigCommands } from './config.js';
import { registerMcpCommand } from './mcp.js';
import { registerCompletionCommands } from './completion.js';
import { registerHostCommands } from './hosts.js';
import { registerAutostartCommands } from './autostart.js';
import { registerUsbCommands } from './usb.js';
import { registerClusterCommands } from './cluster.js';

// Each area adds its commands here, one line each.
export const COMMAND_MODULES: ((ctx: CliContext) => void)[] = [
  registerCoreCommands,
  registerServeCommand,
  registerNetCommands,
  registerVmCommands,
  registerCapsuleCommands,
  registerGpuCommands,
  registerSupportCommands,
  registerNovafileCommands,
  registerSystemCommands,
  registerPrivdCommand,
  registerStorageCommands,
  registerConfigCommands,
  registerMcpCommand,
  registerCompletionCommands,
  registerHostCommands,
  registerAutostartCommands,
  registerUsbCommands,
  registerClusterCommands,
];
