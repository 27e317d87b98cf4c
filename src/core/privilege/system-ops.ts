import type { IntegrationStatus } from '../../shared/contract/system.js';
import type { Runner } from '../sys/runner.js';
import { installIntegration, uninstallIntegration } from '../system/integration.js';
import { privdCall } from './client.js';

// Nova's own files on the host (the CLI on PATH, the hydrate and helper units, the polkit policy):
// written by this process when it is root, else by `nova privd` (system.install / system.remove,
// authorized by org.nova.manage-system). The helper takes no path from us: where the files go is
// its own business.

export interface SystemOps {
  readonly via: 'direct' | 'helper';
  install(): Promise<IntegrationStatus>;
  uninstall(): Promise<IntegrationStatus>;
}

export const directSystemOps = (runner: Runner): SystemOps => ({
  via: 'direct',
  install: () => installIntegration(runner),
  uninstall: () => uninstallIntegration(runner),
});

export const helperSystemOps = (env: NodeJS.ProcessEnv): SystemOps => ({
  via: 'helper',
  install: async () => (await privdCall('system.install', {}, env)) as IntegrationStatus,
  uninstall: async () => (await privdCall('system.remove', {}, env)) as IntegrationStatus,
});
