import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { InstanceKind } from '../lib/actions';
import { bytes } from '../lib/format';
import { errorText, on } from '../lib/rpc';
import { defaultTag, deleteSnapshot, listSnapshots, nextSnapshotContents, restoreSnapshot, TAG_RULE, takeSnapshot } from '../lib/snapshots';
import type { SnapshotRow } from '../lib/snapshots';
import { confirm } from '../stores/confirm';
import type { VmDiskChain } from '../../../shared/contract/vm.js';
import { EmptyState } from './EmptyState';
import { SnapshotChain } from './SnapshotChain';
import { ErrorNotice } from './ErrorNotice';
import { TableHead } from './TableHead';

type Busy = { what: string; since: number } | undefined;

/** Seconds since `since`, ticking while something runs (a VM's RAM save takes seconds). */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, []);
  return <>{((now - since) / 1000).toFixed(1)} s</>;
}

/**
 * The snapshots of one VM or capsule: list with date, size and what each holds; take, restore and
 * delete (both confirmed). Re-reads on the instance's state events, so it stays true while the
 * VM or capsule changes elsewhere.
 */
export function SnapshotManager({ kind, name, state }: { kind: InstanceKind; name: string; state: string }) {
  const [rows, setRows] = useState<SnapshotRow[]>();
  const [chain, setChain] = useState<VmDiskChain[]>([]);
  const [external, setExternal] = useState(false);
  const [error, setError] = useState<string>();
  const [tag, setTag] = useState(defaultTag);
  const [busy, setBusy] = useState<Busy>();

  const load = useCallback(() => {
    listSnapshots(kind, name).then(
      (r) => (setRows(r.rows), setChain(r.chain), setError(undefined)),
      (e) => setError(errorText(e)),
    );
  }, [kind, name]);
  useEffect(() => {
    load();
    const offs = [on('vm.state', (e) => kind === 'vm' && e.name === name && load()), on('capsule.state', (e) => kind === 'capsule' && e.name === name && load())];
    return () => offs.forEach((off) => off());
  }, [kind, name, load]);

  const run = async (what: string, op: () => Promise<boolean>) => {
    setBusy({ what, since: Date.now() });
    try {
      return await op();
    } finally {
      setBusy(undefined);
      load();
    }
  };
  const take = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(`Taking ${external ? 'external ' : ''}snapshot ${tag}…`, () => takeSnapshot(kind, name, tag, external))) setTag(defaultTag());
  };
  const restore = async (s: SnapshotRow) => {
    const body = `${name} goes back to ${new Date(s.takenAt).toLocaleString()} (${s.contents}). Everything changed since is lost.${kind === 'capsule' && state === 'running' ? ' The capsule restarts.' : ''}`;
    if (await confirm({ title: `Restore ${name} to ${s.tag}?`, body, confirmLabel: 'Restore', danger: true })) await run(`Restoring ${s.tag}…`, () => restoreSnapshot(kind, name, s.tag));
  };
  const remove = async (s: SnapshotRow) => {
    if (await confirm({ title: `Delete snapshot ${s.tag}?`, body: `${name} itself is not changed; this point in time is gone for good.`, confirmLabel: 'Delete', danger: true }))
      await run(`Deleting ${s.tag}…`, () => deleteSnapshot(kind, name, s.tag));
  };

  // External snapshots (the disk chain): restored or deleted with the VM stopped.
  const restoreExternal = async (t: string) => {
    const body = `${name}'s disks go back to how they were when ${t} was taken: every write since, and the external snapshots taken after it, are lost. RAM is not part of an external snapshot: ${name} boots from that disk.`;
    if (await confirm({ title: `Restore ${name} to external snapshot ${t}?`, body, confirmLabel: 'Restore', danger: true })) await run(`Restoring ${t}…`, () => restoreSnapshot(kind, name, t));
  };
  const removeExternal = async (t: string) => {
    const body = `The disks keep everything written since: the overlay of ${t} is merged into the layer below it. Only this point in time is gone.`;
    if (await confirm({ title: `Delete external snapshot ${t}?`, body, confirmLabel: 'Delete', danger: true })) await run(`Deleting ${t} (merging its overlay)…`, () => deleteSnapshot(kind, name, t));
  };
  const chainOff = busy ? 'Another snapshot operation is running' : state !== 'stopped' && state !== 'crashed' ? `Stop ${name} to restore or delete an external snapshot` : undefined;

  const tagError = TAG_RULE.test(tag) ? undefined : 'use letters, digits, ".", "-" or "_" (up to 64)';
  return (
    <div className="snapshots" data-testid="snapshot-manager">
      <form className="inline-form" aria-label="Take a snapshot" onSubmit={(e) => void take(e)}>
        <label className="grow">
          Snapshot name <input value={tag} onChange={(e) => setTag(e.target.value)} aria-invalid={Boolean(tagError)} />
        </label>
        {kind === 'vm' && (
          <label className="check">
            <input type="checkbox" checked={external} onChange={(e) => setExternal(e.target.checked)} /> External (new overlay file)
          </label>
        )}
        <button type="submit" className="primary" disabled={Boolean(busy) || Boolean(tagError)}>
          Take snapshot
        </button>
      </form>
      <p className="muted">{tagError ?? (external ? 'Freezes every disk as it is and starts a new overlay file on top (disks only, no RAM); it shows in the disk chain below.' : `Saves ${nextSnapshotContents(kind, state)}.`)}</p>
      {busy && (
        <div className="callout" role="status" data-testid="snapshot-progress">
          {busy.what} <Elapsed since={busy.since} />
          <progress />
        </div>
      )}
      {error && <ErrorNotice message={`Could not list snapshots: ${error}`} onRetry={load} />}
      {rows && rows.length === 0 ? (
        <EmptyState title={chain.some((c) => c.layers.length > 1) ? 'No internal snapshots' : 'No snapshots yet'} hint="Take one above before a risky change; restore it if the change goes wrong." />
      ) : (
        <table className="table" data-testid="snapshot-table">
          <TableHead columns={['Name', 'Taken', 'Holds', 'Size']} />
          <tbody>
            {(rows ?? []).map((s) => (
              <tr key={s.tag} data-testid={`snapshot-${s.tag}`}>
                <td className="wrap">{s.tag}</td>
                <td>{new Date(s.takenAt).toLocaleString()}</td>
                <td>{s.contents}</td>
                <td className="num">{s.sizeBytes > 0 ? bytes(s.sizeBytes) : '—'}</td>
                <td className="row-actions">
                  <button type="button" disabled={Boolean(busy)} onClick={() => void restore(s)}>Restore</button>
                  <button type="button" className="ghost danger" disabled={Boolean(busy)} onClick={() => void remove(s)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SnapshotChain chains={chain} actions={{ restore: (t) => void restoreExternal(t), remove: (t) => void removeExternal(t), ...(chainOff ? { disabled: chainOff } : {}) }} />
    </div>
  );
}
