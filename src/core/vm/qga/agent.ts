// Sessions with a VM's guest agent. QEMU tells (query-chardev `frontend-open`) whether anything in
// the guest opened the org.qemu.guest_agent.0 port, so a guest without an agent is known at once,
// without waiting for a sync to time out. QEMU serves one client per socket: sessions of all Nova
// processes take the VM's agent lock.
import { NovaError } from '../../../shared/errors.js';
import { withLock } from '../../sys/lock.js';
import { lockPath } from '../../sys/paths.js';
import type { VmContext } from '../context.js';
import { withQmp } from '../qmp/protocol.js';
import { processState } from '../state.js';
import { layoutOf, loadRecord } from '../store.js';
import { QgaClient } from './protocol.js';

/** The chardev id of the agent channel in every VM's QEMU argv (config/build.ts). */
export const AGENT_CHARDEV = 'qga0';
export const AGENT_PORT = 'org.qemu.guest_agent.0';

export type AgentStatus = { agent: true } | { agent: false; reason: string };

/** Whether the guest has the agent port open (cheap: one QMP command). */
export async function agentStatus(ctx: VmContext, name: string): Promise<AgentStatus> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await processState(ctx.paths, rec);
  // shutting-down: Nova's own stop asks the agent first, while QEMU still runs.
  if (st.state !== 'running' && st.state !== 'shutting-down') return { agent: false, reason: `no guest agent: VM ${name} is ${st.state}` };
  const chardevs = await withQmp(layoutOf(ctx.paths, name).qmp, (q) => q.execute<{ label: string; 'frontend-open': boolean }[]>('query-chardev'));
  const ch = chardevs.find((c) => c.label === AGENT_CHARDEV);
  if (!ch) return { agent: false, reason: `no guest agent: VM ${name} was started without the ${AGENT_PORT} channel (restart it)` };
  if (!ch['frontend-open']) return { agent: false, reason: `no guest agent: nothing in the guest opened ${AGENT_PORT} (install and start qemu-guest-agent in the guest)` };
  return { agent: true };
}

export interface AgentSessionOptions {
  /** How long the agent may take to answer guest-sync (a busy TCG guest is slow). */
  syncTimeoutMs?: number;
}

/**
 * Runs fn with a synced agent connection; CONFLICT "no guest agent: …" when the guest has none
 * or it does not answer.
 */
export async function withAgent<T>(ctx: VmContext, name: string, fn: (c: QgaClient) => Promise<T>, opts: AgentSessionOptions = {}): Promise<T> {
  const status = await agentStatus(ctx, name);
  if (!status.agent) throw new NovaError('CONFLICT', status.reason, { agent: false });
  return withLock(lockPath(ctx.paths, 'qga', name), async () => {
    const client = await QgaClient.connect(layoutOf(ctx.paths, name).qgaSocket, opts.syncTimeoutMs ?? 5000).catch((e: NovaError) => {
      throw new NovaError('CONFLICT', `no guest agent: the agent of VM ${name} does not answer (${e.message})`, { agent: false });
    });
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }, { timeoutMs: 60_000, holder: `guest agent ${name}` });
}
