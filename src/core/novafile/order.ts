// Dependency order: networks → images → VMs and capsules. A small DAG runner starts every item
// as soon as what it needs is done, with a bound on how many run at once.

export interface Node {
  id: string;
  needs: string[];
}

/** The selected ids plus everything they need, transitively. */
export function closure(nodes: readonly Node[], selected: readonly string[]): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  const visit = (id: string) => {
    if (out.has(id)) return;
    out.add(id);
    for (const d of byId.get(id)?.needs ?? []) visit(d);
  };
  selected.forEach(visit);
  return out;
}

/** Ids in an order where every item comes after what it needs (stable by input order). */
export function topoOrder(nodes: readonly Node[]): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: string[] = [];
  const visit = (id: string, path: string[]) => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`dependency cycle: ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const d of byId.get(id)?.needs ?? []) if (byId.has(d)) visit(d, [...path, id]);
    state.set(id, 'done');
    out.push(id);
  };
  for (const n of nodes) visit(n.id, []);
  return out;
}

export type NodeResult = { status: 'done' } | { status: 'failed'; error: unknown } | { status: 'skipped'; because: string };

/**
 * Runs `work` for every node after the nodes it needs succeeded, at most `parallel` at once.
 * A node whose dependency failed or was skipped is skipped (with the reason); independent
 * nodes carry on. Needs that are not in `nodes` count as satisfied.
 */
export async function runGraph(
  nodes: readonly Node[],
  parallel: number,
  work: (id: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<Map<string, NodeResult>> {
  topoOrder(nodes); // throws on cycles before anything runs
  const ids = new Set(nodes.map((n) => n.id));
  const results = new Map<string, NodeResult>();
  const pending = new Set(nodes.map((n) => n.id));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let running = 0;
  return new Promise((resolve) => {
    const pump = () => {
      // Repeat until stable: a skip can unblock (skip) nodes visited earlier in this pass.
      for (let changed = true; changed; ) {
        changed = false;
        for (const id of [...pending]) {
          const needs = byId.get(id)!.needs.filter((d) => ids.has(d));
          const bad = needs.find((d) => results.has(d) && results.get(d)!.status !== 'done');
          if (bad || signal?.aborted) {
            pending.delete(id);
            results.set(id, { status: 'skipped', because: bad ? `${bad} ${results.get(bad)!.status}` : 'cancelled' });
            changed = true;
            continue;
          }
          if (running >= parallel || !needs.every((d) => results.get(d)?.status === 'done')) continue;
          pending.delete(id);
          running++;
          changed = true;
          work(id)
            .then(
              () => void results.set(id, { status: 'done' }),
              (error: unknown) => void results.set(id, { status: 'failed', error }),
            )
            .finally(() => {
              running--;
              pump();
            });
        }
      }
      if (pending.size === 0 && running === 0) resolve(results);
    };
    pump();
  });
}
