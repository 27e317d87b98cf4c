import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NovaError } from '../../../../shared/errors.js';
import { findBuildOutput } from '../../../sys/assets.js';

// Starts and talks to native/quic-tunnel (out/native/nova-quic-tunnel): one process per quic
// overlay on this host. The configuration goes as the first JSON line on its stdin; it answers
// {"event":"ready",…} (or {"event":"error","field",…}) and then reports peers going up and down.
// Like the capsule supervisor it runs in its own session and outlives the engine once detached
// (detach: true, then stdin/stdout are closed); its status file keeps the peers' states.

export const TUNNEL_MARK = 'nova-quic-tunnel';

export const NOT_BUILT = `${TUNNEL_MARK} is not built: install Debian's cargo, rustc and librust-quinn-dev (scripts/install-host-deps.sh) and run \`npm run build\``;

let binary: string | undefined;
export function tunnelBinary(): string | undefined {
  binary ??= findBuildOutput(join('native', TUNNEL_MARK));
  return binary;
}

export interface TunnelPeer {
  name: string;
  endpoint?: string;
  fingerprint: string;
}

/** Mirrors native/quic-tunnel/src/config.rs. */
export interface TunnelConfig {
  name: string;
  listen: string;
  tap: string;
  underlay_mtu: number;
  ca: string;
  cert: string;
  key: string;
  peers: TunnelPeer[];
  status_file?: string;
  detach?: boolean;
  /** Started as root: continue as this uid/gid once the TAP, socket and key are in hand. */
  run_as_uid?: number;
  run_as_gid?: number;
}

export interface TunnelEvent {
  event: 'ready' | 'peer' | 'status' | 'error';
  [k: string]: unknown;
}

export interface TunnelReady extends TunnelEvent {
  pid: number;
  tap_mtu: number;
  max_udp_payload: number;
  fingerprint: string;
  listen: string;
}

export interface Tunnel {
  pid: number;
  ready: TunnelReady;
  events: TunnelEvent[];
  /** Resolves with the first event (seen or coming) that matches, or rejects after `ms`. */
  waitFor(match: (e: TunnelEvent) => boolean, ms: number, what: string): Promise<TunnelEvent>;
  send(cmd: Record<string, unknown>): void;
  /** Closes our ends of its pipes: a detached tunnel keeps running. */
  release(): void;
  child: ChildProcess;
}

/**
 * Spawns the tunnel (`wrap` runs it elsewhere: `ip netns exec NS`, `setpriv …`) and waits for
 * ready. An error event is thrown as INVALID_INPUT naming the field (config, files) or
 * HOST_UNSUPPORTED (TAP, listen address).
 */
export async function startTunnel(cfg: TunnelConfig, wrap: string[] | ((bin: string) => string[]) = [], timeoutMs = 15_000): Promise<Tunnel> {
  const bin = tunnelBinary();
  if (!bin) throw new NovaError('HOST_UNSUPPORTED', NOT_BUILT);
  const argv = typeof wrap === 'function' ? wrap(bin) : [...wrap, bin];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  const events: TunnelEvent[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  const wake = () => waiters.forEach((w) => w());
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as TunnelEvent);
    } catch {
      return; // not ours
    }
    wake();
  });
  child.on('exit', () => {
    exited = true;
    wake();
  });
  child.on('error', () => {
    exited = true;
    wake();
  });
  child.stdin!.on('error', () => undefined);
  const waitFor = (match: (e: TunnelEvent) => boolean, ms: number, what: string) =>
    new Promise<TunnelEvent>((resolve, reject) => {
      const check = () => {
        const hit = events.find(match);
        if (hit || exited) {
          clearTimeout(timer);
          waiters.delete(check);
          if (hit) resolve(hit);
          else reject(new Error(`${TUNNEL_MARK} exited before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${TUNNEL_MARK}: no ${what} within ${ms} ms`));
      }, ms);
      waiters.add(check);
      check();
    });
  child.stdin!.write(`${JSON.stringify(cfg)}\n`);
  const first = await waitFor((e) => e.event === 'ready' || e.event === 'error', timeoutMs, 'ready event').catch((e: Error) => {
    child.kill('SIGKILL');
    throw new NovaError('INTERNAL', e.message);
  });
  if (first.event === 'error') {
    const field = String(first.field);
    const hostSide = field === 'tap' || field === 'listen';
    throw new NovaError(hostSide ? 'HOST_UNSUPPORTED' : 'INVALID_INPUT', `quic tunnel ${field}: ${String(first.message)}`, { field });
  }
  return {
    pid: child.pid!,
    ready: first as TunnelReady,
    events,
    waitFor,
    child,
    send: (cmd) => void child.stdin!.write(`${JSON.stringify(cmd)}\n`),
    release() {
      child.stdin!.end();
      child.stdout!.destroy();
      child.unref();
    },
  };
}
