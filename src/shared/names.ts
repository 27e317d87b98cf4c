import { z } from 'zod';
import { lazy } from './lazy.js';

// Names reach system tools (ip, nft, qemu, crun) as argv items: keep them boring.
// Linux interface names are limited to 15 bytes, so network names are shorter.
export const RESOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const NETWORK_NAME = /^[a-z0-9][a-z0-9_-]{0,14}$/;

export const resourceName = lazy(() => z
  .string()
  .regex(RESOURCE_NAME, 'use 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit'));
export const networkName = lazy(() => z
  .string()
  .regex(NETWORK_NAME, 'use 1-15 lowercase letters, digits, "-" or "_" (Linux interface names are short)'));

export { RESOURCE_KINDS } from './resource-kinds.js';
export type { ResourceKind } from './resource-kinds.js';

/** The file names `nova` looks for in a project folder, in this order. */
export const NOVAFILE_NAMES = ['NovaFile', 'Novafile', 'novafile.toml', 'NovaFile.toml'];
