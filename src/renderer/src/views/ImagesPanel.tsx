import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { TableHead } from '../components/TableHead';
import { act } from '../lib/actions';
import { bytes } from '../lib/format';
import { confirm } from '../stores/confirm';
import { shortRef, useImages } from '../stores/images';
import type { ImageRow } from '../stores/images';

/** Pull from a registry (progress in the status bar) or import a root filesystem folder/tarball. */
function GetImageForm() {
  const [mode, setMode] = useState<'pull' | 'import'>('pull');
  const [ref, setRef] = useState('');
  const [source, setSource] = useState('');
  const [insecure, setInsecure] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const ok =
      mode === 'pull'
        ? await act('image.pull', { ref, ...(insecure ? { insecure: true } : {}) }, `Pulled ${ref}`)
        : await act('image.import', { source, name: ref }, `Imported ${ref}`);
    setBusy(false);
    if (ok) {
      setRef('');
      setSource('');
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Get an image">
      <label>
        How
        <select value={mode} onChange={(e) => setMode(e.target.value as 'pull' | 'import')}>
          <option value="pull">Pull from a registry</option>
          <option value="import">Import a root filesystem</option>
        </select>
      </label>
      <label className="grow">Image reference <input value={ref} onChange={(e) => setRef(e.target.value)} placeholder={mode === 'pull' ? 'docker.io/library/alpine:3.20' : 'localhost/mytool:1'} required /></label>
      {mode === 'import' && <label className="grow">Folder or tarball on the host <input value={source} onChange={(e) => setSource(e.target.value)} placeholder="/srv/rootfs/mytool" required /></label>}
      {mode === 'pull' && <label className="check"><input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.target.checked)} /> Plain HTTP registry</label>}
      <button type="submit" className="primary" disabled={busy}>{busy ? 'Working…' : mode === 'pull' ? 'Pull' : 'Import'}</button>
    </form>
  );
}

function ImageTableRow({ img }: { img: ImageRow }) {
  const remove = async () => {
    if (await confirm({ title: `Delete image ${shortRef(img.ref)}?`, body: `${bytes(img.sizeBytes)} are freed. Pull or import it again to use it later.`, confirmLabel: 'Delete', danger: true }))
      await act('image.rm', { ref: img.ref }, `Image ${shortRef(img.ref)} deleted`);
  };
  return (
    <tr data-testid={`image-${shortRef(img.ref)}`}>
      <td className="wrap">{shortRef(img.ref)}</td>
      <td>{img.source === 'pull' ? 'pulled' : 'imported'}</td>
      <td className="num">{bytes(img.sizeBytes)}</td>
      <td className="num">{img.layers}</td>
      <td>{new Date(img.createdAt).toLocaleString()}</td>
      <td>{img.usedBy.length ? img.usedBy.join(', ') : <span className="muted">unused</span>}</td>
      <td className="row-actions">
        <button type="button" className="ghost danger" disabled={img.usedBy.length > 0} title={img.usedBy.length ? 'Used by a capsule' : undefined} onClick={() => void remove()}>Delete</button>
      </td>
    </tr>
  );
}

/** The local image store: size, source and which capsules use each image. */
export function ImagesPanel() {
  const s = useImages();
  useEffect(() => {
    void useImages.getState().fetch();
  }, []);
  return (
    <>
      <GetImageForm />
      {s.error && <ErrorNotice message={`Could not list images: ${s.error}`} onRetry={() => void s.fetch()} />}
      {s.status === 'ready' && s.items.length === 0 ? (
        <EmptyState title="No images yet" hint="Pull one from a registry or import a root filesystem above." />
      ) : (
        <table className="table" data-testid="image-table">
          <TableHead columns={['Image', 'Source', 'Size', 'Layers', 'Added', 'Used by']} />
          <tbody>{s.items.map((i) => <ImageTableRow key={i.ref} img={i} />)}</tbody>
        </table>
      )}
    </>
  );
}
