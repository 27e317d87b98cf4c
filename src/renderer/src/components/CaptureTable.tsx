import { act } from '../lib/actions';
import { bytes, clock } from '../lib/format';
import type { CaptureFile } from '../stores/captures';
import { useCaptures } from '../stores/captures';
import { confirm } from '../stores/confirm';
import { TableHead } from './TableHead';

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Capture files with stop (while running) and delete (confirmed). */
export function CaptureTable({ files }: { files: CaptureFile[] }) {
  const rescan = () => void useCaptures.getState().scan({ manual: false });
  const stop = async (c: CaptureFile) => {
    if (await act('network.capture.stop', { id: c.id }, `Capture on ${c.network} stopped`)) rescan();
  };
  const remove = async (c: CaptureFile) => {
    if (await confirm({ title: `Delete ${base(c.file)}?`, body: 'The capture file is removed from the captures folder.', confirmLabel: 'Delete', danger: true }))
      if (await act('network.capture.rm', { id: c.id }, `${base(c.file)} deleted`)) rescan();
  };
  return (
    <table className="table" data-testid="capture-table">
      <TableHead columns={['File', 'Network', 'Packets', 'Size', 'First / last packet']} />
      <tbody>
        {files.map((c) => (
          <tr key={c.id}>
            <td title={c.file}>
              {base(c.file)} {c.running && <span className="badge badge-ok">capturing</span>}
            </td>
            <td>{c.network}</td>
            <td>{c.packets}</td>
            <td>{bytes(c.size)}</td>
            <td className="muted">{c.first ? `${clock(c.first)} – ${c.last ? clock(c.last) : '…'}` : '—'}</td>
            <td className="row-actions">
              {c.running && (
                <button type="button" className="ghost" onClick={() => void stop(c)}>
                  Stop
                </button>
              )}
              <button type="button" className="ghost danger" onClick={() => void remove(c)}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
