import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import type { StorageFile, StoragePool } from '../../../shared/contract/storage.js';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { TableHead } from '../components/TableHead';
import { ViewHeader } from '../components/ViewHeader';
import { act } from '../lib/actions';
import { bytes } from '../lib/format';
import { confirm } from '../stores/confirm';
import { useStorage } from '../stores/storage';

const KIND_LABEL: Record<StorageFile['kind'], string> = { disk: 'Disk', iso: 'ISO', other: 'Other' };

function PoolCard({ pool }: { pool: StoragePool }) {
  const forget = async () => {
    if (await confirm({ title: `Forget pool ${pool.name}?`, body: `Nova stops listing ${pool.path}. The files in it stay where they are.`, confirmLabel: 'Forget', danger: true }))
      await act('storage.pool.remove', { name: pool.name }, `Pool ${pool.name} forgotten`);
  };
  const usedPct = pool.totalBytes && pool.freeBytes !== undefined ? Math.round(((pool.totalBytes - pool.freeBytes) / pool.totalBytes) * 100) : undefined;
  return (
    <section className="card" data-testid={`pool-${pool.name}`}>
      <div className="card-head">
        <h2>{pool.name}</h2>
        {pool.builtin && <span className="badge badge-muted">default</span>}
        {!pool.builtin && <button type="button" className="ghost danger" onClick={() => void forget()}>Forget</button>}
      </div>
      <dl className="facts">
        <div className="fact"><dt>Folder</dt><dd><code>{pool.path}</code></dd></div>
        <div className="fact"><dt>Nova files</dt><dd>{pool.files} · {bytes(pool.usedBytes)} on disk</dd></div>
        <div className="fact">
          <dt>Filesystem</dt>
          <dd>{pool.exists ? `${bytes(pool.freeBytes)} free of ${bytes(pool.totalBytes)}` : <span className="warn">folder missing</span>}</dd>
        </div>
      </dl>
      {usedPct !== undefined && (
        <div className="progress wide" role="meter" aria-label={`${pool.name} filesystem used`} aria-valuenow={usedPct} aria-valuemin={0} aria-valuemax={100}>
          <div className="progress-fill" style={{ width: `${usedPct}%` }} />
        </div>
      )}
    </section>
  );
}

function AddPoolForm() {
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await act('storage.pool.add', { name, path }, `Pool ${name} added`)) {
      setName('');
      setPath('');
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Add a folder as a pool">
      <label>Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="fast-ssd" required /></label>
      <label className="grow">Folder <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/vm-disks" required /></label>
      <button type="submit">Add folder</button>
    </form>
  );
}

function FileRow({ f }: { f: StorageFile }) {
  const remove = async () => {
    if (await confirm({ title: `Delete ${f.name}?`, body: `${f.path} (${bytes(f.allocatedBytes)} on disk) is removed from the disk for good.`, confirmLabel: 'Delete', danger: true }))
      await act('storage.file.rm', { pool: f.pool, name: f.name }, `${f.name} deleted`);
  };
  return (
    <tr data-testid={`file-${f.name}`}>
      <td className="wrap">{f.name}</td>
      <td>{KIND_LABEL[f.kind]} <span className="muted">{f.format}</span></td>
      <td>{f.pool}</td>
      <td className="num">{bytes(f.virtualBytes)}</td>
      <td className="num">{bytes(f.allocatedBytes)}</td>
      <td>{f.usedBy.length ? f.usedBy.join(', ') : <span className="muted">unused</span>}</td>
      <td className="row-actions">
        <button type="button" className="ghost danger" disabled={f.usedBy.length > 0} title={f.usedBy.length ? 'In use by a VM' : undefined} onClick={() => void remove()}>Delete</button>
      </td>
    </tr>
  );
}

/** Storage pools (default + added folders) with space, and the disks and ISOs in them. */
export function StorageView() {
  const s = useStorage();
  useEffect(() => {
    void useStorage.getState().fetch();
  }, []);
  return (
    <>
      <ViewHeader title="Storage" subtitle="Where VM disks and ISOs live: the default pool and folders you add">
        <button type="button" onClick={() => void s.fetch()}>Refresh</button>
      </ViewHeader>
      {s.error && <ErrorNotice message={`Could not read storage: ${s.error}`} onRetry={() => void s.fetch()} />}
      <div className="cards">{s.pools.map((p) => <PoolCard key={p.name} pool={p} />)}</div>
      <AddPoolForm />
      <h2 className="section-title">Disks and ISOs</h2>
      {s.status === 'ready' && s.files.length === 0 ? (
        <EmptyState title="No disks or ISOs yet" hint="Disks made by the New VM wizard land in the pool you pick; copy ISOs into a pool folder to choose them there." />
      ) : (
        <table className="table" data-testid="storage-files">
          <TableHead columns={['Name', 'Kind', 'Pool', 'Size', 'On disk', 'Used by']} />
          <tbody>{s.files.map((f) => <FileRow key={f.path} f={f} />)}</tbody>
        </table>
      )}
    </>
  );
}
