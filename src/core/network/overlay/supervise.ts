import type { NetCtx } from '../context.js';
import { listLinks } from '../links.js';
import { withLock } from '../../sys/lock.js';
import { lockPath } from '../../sys/paths.js';
import { loadAll, loadNetwork } from '../store.js';
import { overlayDriver } from './index.js';

// The overlay supervisor: while an engine (or `nova privd`) runs, a tunnel that dies (wireguard-go
// or the QUIC helper killed, its device gone and the links stacked on it with it) is put back
// within a second or two, not at the next hydrate. Each driver says what "alive" means.

export interface SuperviseOptions {
  everyMs?: number;
  onRepaired?: (network: string) => void;
  onFailed?: (network: string, reason: string) => void;
}

/** One pass: repairs every overlay whose driver says it is not alive; returns the repaired names. */
export async function checkOverlaysOnce(ctx: NetCtx, opts: SuperviseOptions = {}): Promise<string[]> {
  const repaired: string[] = [];
  for (const n of await loadAll(ctx)) {
    if (n.spec.type !== 'overlay') continue;
    const d = overlayDriver(n.spec);
    if (!d.alive || (await d.alive(ctx, n).catch(() => true))) continue;
    try {
      // Under the lock every network change takes, and only if it is still declared and still
      // dead then: a `network.rm` stopping the tunnel must not see it restarted behind it.
      const repairedIt = await withLock(lockPath(ctx.paths, 'network', 'all'), async () => {
        const cur = await loadNetwork(ctx, n.name);
        if (!cur || cur.spec.type !== 'overlay' || (await d.alive!(ctx, cur))) return false;
        const links = await listLinks(ctx);
        return d.repair(ctx, cur, new Map(links.map((l) => [l.ifname, l])));
      }, { holder: `overlay supervisor ${n.name}`, timeoutMs: 60_000 });
      if (repairedIt) {
        repaired.push(n.name);
        opts.onRepaired?.(n.name);
      }
    } catch (e) {
      opts.onFailed?.(n.name, e instanceof Error ? e.message : String(e));
    }
  }
  return repaired;
}

/** Polls every `everyMs` (default 1 s) until the returned stop() is called. */
export function superviseOverlays(ctx: NetCtx, opts: SuperviseOptions = {}): () => void {
  let busy = false;
  let stopped = false;
  const t = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void checkOverlaysOnce(ctx, opts)
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, opts.everyMs ?? 1000);
  t.unref();
  return () => {
    stopped = true;
    clearInterval(t);
  };
}
