import type { VmDiskChain } from '../../../shared/contract/vm.js';
import { bytes } from '../lib/format';

type Layer = VmDiskChain['layers'][number];

const base = (file: string) => file.slice(file.lastIndexOf('/') + 1);
const when = (ms: number) => new Date(ms).toLocaleString();

/** One layer and, nested under it, its internal snapshots and the layer made on top of it. */
function LayerNode({ node, layers, i }: { node: string; layers: Layer[]; i: number }) {
  const l = layers[i]!;
  const next = i + 1 < layers.length ? <LayerNode node={node} layers={layers} i={i + 1} /> : null;
  return (
    <li data-testid={`chain-${node}-${l.externalTag ?? 'base'}`} className={l.current ? 'chain-current' : undefined}>
      <div className="chain-line">
        <strong>{l.externalTag ? `External snapshot ${l.externalTag}` : 'Base image'}</strong>
        <code title={l.file}>{base(l.file)}</code>
        <span className="muted">{bytes(l.sizeBytes)} on disk</span>
        {l.createdAt !== undefined && <span className="muted">{when(l.createdAt)}</span>}
        {l.externalTag && <span className="badge badge-muted">disk only</span>}
        {l.current ? <span className="badge badge-ok">current — the VM writes here</span> : <span className="muted">frozen (read-only backing file)</span>}
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
export function SnapshotChain({ chains }: { chains: VmDiskChain[] }) {
  if (chains.length === 0) return null;
  return (
    <section className="snapshot-chain" data-testid="snapshot-chain" aria-label="Disk chain">
      <h3>Disk chain</h3>
      <p className="muted">Each external snapshot freezes the disk as it is and starts a new overlay file on top; internal snapshots sit inside the layer that held them.</p>
      {chains.map((c) => (
        <div key={c.node}>
          <div className="muted">{c.node}</div>
          <ul className="chain chain-root">
            <LayerNode node={c.node} layers={c.layers} i={0} />
          </ul>
        </div>
      ))}
    </section>
  );
}
