// The kinds `nova ls` lists; without zod, so the lean listing (src/cli/lean-list.ts) can check them.
export const RESOURCE_KINDS = ['vm', 'capsule', 'network'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
