import type { VmDiskChain } from '../../../shared/contract/vm.js';
import { bytes } from '../lib/format';

type Layer = VmDiskChain['layers'][number];

const base = (file: string) => file.slice(file.lastIndexOf('/') + 1);
const when = (ms: number) => new Date(ms).toLocaleString();

/** What the tree offers on an external snapshot: restore or delete it (the VM stopped). */
export interface ChainActions {
  /** Why the buttons are off (the VM runs, something else is in progress), or undefined. */
  disabled?: string;
  restore(tag: string): void;
  remove(tag: string): void;
}

/** One layer and, nested under it, its internal snapshots and the layer made on top of it. */
function LayerNode({ node, layers, i, actions }: { node: string; layers: Layer[]; i: number; actions?: ChainActions }) {
  const l = layers[i]!;
  const next = i + 1 < layers.length ? <LayerNode node={node} layers={layers} i={i + 1} {...(actions ? { actions } : {})} /> : null;
  const tag = l.externalTag;
  return (
    <li data-testid={`chain-${node}-${l.externalTag ?? 'base'}`} className={l.current ? 'chain-current' : undefined}>
      <div className="chain-line">
        <strong>{l.externalTag ? `External snapshot ${l.externalTag}` : 'Base image'}</strong>
        <code title={l.file}>{base(l.file)}</code>
        <span className="muted">{bytes(l.sizeBytes)} on disk</span>
        {l.createdAt !== undefined && <span className="muted">{when(l.createdAt)}</span>}
        {l.externalTag && <span className="badge badge-muted">disk only</span>}
        {l.current ? <span className="badge badge-ok">current — the VM writes here</span> : <span className="muted">frozen (read-only backing file)</span>}
        {tag && actions && (
          <span className="row-actions">
            <button type="button" disabled={Boolean(actions.disabled)} title={actions.disabled ?? `Back to the disk as it was when ${tag} was taken`} onClick={() => actions.restore(tag)}>
              Restore
            </button>
            <button type="button" className="ghost danger" disabled={Boolean(actions.disabled)} title={actions.disabled ?? `Forget this point in time; the disk keeps its contents`} onClick={() => actions.remove(tag)}>
              Delete
            </button>
          </span>
        )}
      </div>
      {(l.snapshots.length > 0 || next) && (
        <ul className="chain">
          {l.snapshots.map((s) => (
            <li key={s.tag} className="chain-snap" data-testid={`chain-snap-${s.tag}`}>
              <div className="chain-line">
                <span>{s.tag}</span>
                <span className="muted">{when(s.date * 1000)}</span>
                <span className="badge badge-muted">{s.vmStateSize > 0 ? `RAM + disks · ${bytes(s.vmStateSize)} RAM state` : 'disk only'}</span>
              </div>
            </li>
          ))}
          {next}
        </ul>
      )}
    </li>
  );
}

/**
 * The VM's disks as trees: the base image, the internal snapshots each layer holds, and the
 * overlay every external snapshot started on top (the last one current).
 */
export function SnapshotChain({ chains, actions }: { chains: VmDiskChain[]; actions?: ChainActions }) {
  if (chains.length === 0) return null;
  return (
    <section className="snapshot-chain" data-testid="snapshot-chain" aria-label="Disk chain">
      <h3>Disk chain</h3>
      <p className="muted">
        Each external snapshot freezes the disk as it is and starts a new overlay file on top; internal snapshots sit inside the layer that held them.
        {actions?.disabled && chains.some((c) => c.layers.some((l) => l.externalTag)) && <> {actions.disabled}.</>}
      </p>
      {chains.map((c) => (
        <div key={c.node}>
          <div className="muted">{c.node}</div>
          <ul className="chain chain-root">
            <LayerNode node={c.node} layers={c.layers} i={0} {...(actions ? { actions } : {})} />
          </ul>
        </div>
      ))}
    </section>
  );
}
