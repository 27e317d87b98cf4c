// What the guest agent tells and does: OS, hostname and addresses for inspect, commands run in
// the guest (guest-exec), clean shutdown, filesystem freeze around snapshots. Every entry point
// degrades to "no guest agent: why" instead of failing the caller's operation.
import { NovaError } from '../../shared/errors.js';
import type { VmGuestInfo } from '../../shared/contract/vm.js';
import type { VmContext } from './context.js';
import { agentStatus, withAgent } from './qga/agent.js';
import type { QgaClient } from './qga/protocol.js';

interface QgaOsInfo { 'pretty-name'?: string; name?: string; 'kernel-release'?: string; machine?: string }
interface QgaInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: { 'ip-address-type': 'ipv4' | 'ipv6'; 'ip-address': string; prefix: number }[];
}

/** Guest facts for inspect; never throws for a missing or silent agent. */
export async function guestInfo(ctx: VmContext, name: string): Promise<VmGuestInfo> {
  const status = await agentStatus(ctx, name).catch((e: Error) => ({ agent: false as const, reason: `no guest agent: ${e.message}` }));
  if (!status.agent) return status;
  try {
    return await withAgent(ctx, name, async (c) => {
      // Older or restricted agents lack some commands: each fact is optional.
      const opt = <T>(cmd: string) => c.execute<T>(cmd).catch(() => undefined);
      const os = await opt<QgaOsInfo>('guest-get-osinfo');
      const host = await opt<{ 'host-name': string }>('guest-get-host-name');
      const nics = await opt<QgaInterface[]>('guest-network-get-interfaces');
      return {
        agent: true,
        ...(os ? { os: os['pretty-name'] ?? os.name ?? 'unknown', ...(os['kernel-release'] ? { kernel: os['kernel-release'] } : {}) } : {}),
        ...(host ? { hostname: host['host-name'] } : {}),
        ...(nics ? { interfaces: nics.filter((n) => n.name !== 'lo').map(toInterface) } : {}),
      };
    }, { syncTimeoutMs: 3000 });
  } catch (e) {
    return { agent: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

const toInterface = (n: QgaInterface) => ({
  name: n.name,
  ...(n['hardware-address'] ? { mac: n['hardware-address'] } : {}),
  addresses: (n['ip-addresses'] ?? []).map((a) => `${a['ip-address']}/${a.prefix}`),
});

export interface ExecResult {
  name: string;
  exitCode: number;
  signal?: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

interface ExecStatus { exited: boolean; exitcode?: number; signal?: number; 'out-data'?: string; 'err-data'?: string; 'out-truncated'?: boolean; 'err-truncated'?: boolean }

/** Runs argv in the guest (guest-exec), waits for it, returns its output and exit code. */
export async function guestExec(ctx: VmContext, name: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return withAgent(ctx, name, async (c) => {
    const { pid } = await c.execute<{ pid: number }>('guest-exec', {
      path: argv[0], arg: argv.slice(1), 'capture-output': true,
      ...(opts.input !== undefined ? { 'input-data': Buffer.from(opts.input).toString('base64') } : {}),
    });
    const deadline = Date.now() + timeoutMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      const st = await c.execute<ExecStatus>('guest-exec-status', { pid });
      if (st.exited) {
        const text = (b64?: string) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');
        return {
          name, exitCode: st.exitcode ?? (st.signal !== undefined ? 128 + st.signal : 0), ...(st.signal !== undefined ? { signal: st.signal } : {}),
          stdout: text(st['out-data']), stderr: text(st['err-data']), truncated: Boolean(st['out-truncated'] || st['err-truncated']),
        };
      }
      if (Date.now() > deadline) throw new NovaError('TIMEOUT', `${argv[0]} in VM ${name} still runs after ${timeoutMs} ms (guest pid ${pid})`, { guestPid: pid });
      await new Promise((r) => setTimeout(r, wait));
    }
  });
}

/** Asks the agent to power the guest off; false (and why) when there is no agent to ask. */
export async function agentShutdown(ctx: VmContext, name: string): Promise<{ sent: boolean; reason?: string }> {
  try {
    await withAgent(ctx, name, (c) => c.sendOnly('guest-shutdown', { mode: 'powerdown' }), { syncTimeoutMs: 3000 });
    return { sent: true };
  } catch (e) {
    return { sent: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export interface FreezeOutcome {
  /** True when the guest's filesystems were frozen while the snapshot was taken. */
  frozen: boolean;
  filesystems?: number;
  reason?: string;
}

/**
 * Runs fn with the guest's filesystems frozen when an agent answers (thaw always follows, also
 * when fn fails); without an agent fn runs anyway and the outcome says why it was not frozen.
 */
export async function withFrozenGuest<T>(ctx: VmContext, name: string, fn: () => Promise<T>): Promise<{ result: T; freeze: FreezeOutcome }> {
  let client: QgaClient | undefined;
  let freeze: FreezeOutcome = { frozen: false, reason: 'no guest agent' };
  const status = await agentStatus(ctx, name).catch(() => ({ agent: false as const, reason: 'no guest agent' }));
  if (!status.agent) return { result: await fn(), freeze: { frozen: false, reason: status.reason } };
  let result: T | undefined;
  await withAgent(ctx, name, async (c) => {
    client = c;
    try {
      const n = await c.execute<number>('guest-fsfreeze-freeze', undefined, 60_000);
      freeze = { frozen: true, filesystems: n };
    } catch (e) {
      freeze = { frozen: false, reason: `guest-fsfreeze-freeze failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    try {
      result = await fn();
    } finally {
      if (freeze.frozen) await client.execute('guest-fsfreeze-thaw', undefined, 60_000).catch(() => undefined);
    }
  }, { syncTimeoutMs: 3000 }).catch(async (e: NovaError) => {
    // The agent vanished between the check and the session: snapshot without the freeze.
    if (client) throw e;
    freeze = { frozen: false, reason: e.message };
    result = await fn();
  });
  return { result: result as T, freeze };
}

/** After restoring a live snapshot taken frozen: thaw the guest if its agent says it is frozen. */
export async function thawIfFrozen(ctx: VmContext, name: string): Promise<boolean> {
  const status = await agentStatus(ctx, name).catch(() => ({ agent: false as const }));
  if (!status.agent) return false;
  return withAgent(ctx, name, async (c) => {
    if ((await c.execute<string>('guest-fsfreeze-status')) !== 'frozen') return false;
    await c.execute('guest-fsfreeze-thaw', undefined, 60_000);
    return true;
  }, { syncTimeoutMs: 5000 }).catch(() => false);
}
