import { useState } from 'react';
import type { ReactNode } from 'react';
import { useResources } from '../stores/resources';
import { confirm } from '../stores/confirm';
import { toast } from '../stores/toasts';
import { call, errorCode, errorText } from '../lib/rpc';
import { detachAndRemove, detachPlan, loadSwitchUsers } from '../lib/networkRemoval';
import type { SwitchUser } from '../lib/networkRemoval';
import { Modal } from './Modal';
import { TableHead } from './TableHead';

const KIND = { vm: 'VM', capsule: 'Capsule' } as const;

/**
 * "Remove" for a switch: a plain confirmation when nothing uses it; otherwise a dialog that lists
 * its users (link state from the kernel, what detaching does to each) and offers to detach them
 * all and remove it, or to remove it anyway (force: their links are deleted under them).
 */
export function useNetworkRemoval(onRemoved?: (name: string) => void): { ask(name: string): Promise<void>; dialog: ReactNode } {
  const [open, setOpen] = useState<{ name: string; users: SwitchUser[] }>();
  const done = (name: string) => {
    toast('success', `Network ${name} removed`);
    setOpen(undefined);
    useResources.getState().refetch();
    onRemoved?.(name);
  };
  const showUsers = async (name: string): Promise<boolean> => {
    const info = await call('network.inspect', { name });
    if (!info.attachments.some((a) => a.attached)) return false;
    setOpen({ name, users: await loadSwitchUsers(info) });
    return true;
  };
  const ask = async (name: string) => {
    try {
      if (await showUsers(name)) return;
      if (!(await confirm({ title: `Remove network ${name}?`, body: 'Its bridge, NAT rules and DHCP server go away. Nothing is attached to it.', confirmLabel: 'Remove', danger: true }))) return;
      await call('network.rm', { name });
      done(name);
    } catch (e) {
      // Something attached in the meantime: show who, instead of the bare CONFLICT.
      if (errorCode(e) === 'CONFLICT' && (await showUsers(name).catch(() => false))) return;
      toast('error', `Removing ${name} failed`, errorText(e));
    }
  };
  const dialog = open ? <NetworkRemoveDialog key={open.name} name={open.name} users={open.users} onClose={() => setOpen(undefined)} onRemoved={() => done(open.name)} /> : null;
  return { ask, dialog };
}

function NetworkRemoveDialog({ name, users, onClose, onRemoved }: { name: string; users: SwitchUser[]; onClose(): void; onRemoved(): void }) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const { canDetach, blockers } = detachPlan(users);
  const run = async (op: () => Promise<void>) => {
    setError(undefined);
    try {
      await op();
      onRemoved();
    } catch (e) {
      setError(errorText(e));
      useResources.getState().refetch();
    } finally {
      setBusy(undefined);
    }
  };
  const detachAll = () => run(() => detachAndRemove(name, users, setBusy));
  const force = () =>
    run(async () => {
      setBusy(`Removing ${name} and the links under its users…`);
      await call('network.rm', { name, force: true });
    });
  const live = users.filter((u) => u.live).length;
  return (
    <Modal open onOpenChange={(o) => !o && !busy && onClose()} title={`Remove network ${name}?`} description={`It is in use by ${live} ${live === 1 ? 'instance' : 'instances'}. Its bridge, NAT rules and DHCP server go away with it.`} wide>
      <div data-testid="network-remove-dialog">
        <table className="table" data-testid="network-users">
          <TableHead columns={['Used by', 'Link', 'Detaching it']} />
          <tbody>
            {users.map((u) => (
              <tr key={`${u.owner.kind}:${u.owner.name}`} data-testid={`user-${u.owner.kind}-${u.owner.name}`}>
                <td>
                  <strong>{u.owner.name}</strong> <span className="muted">{KIND[u.owner.kind]}</span>
                </td>
                <td>
                  <code>{u.ifname}</code> <span className={`badge ${u.link === 'connected' ? 'badge-ok' : 'badge-muted'}`}>{u.link}</span>
                </td>
                <td className="wrap">{u.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!canDetach && (
          <div className="callout warn">
            {blockers.map((b) => b.owner.name).join(', ')} {blockers.length === 1 ? 'has' : 'have'} {name} in {blockers.length === 1 ? 'its' : 'their'} definition, so they cannot be detached from here. Remove anyway deletes their links; they fail to start until their definition names another network.
          </div>
        )}
        {busy && (
          <div className="callout" role="status" data-testid="network-remove-progress">
            {busy} <progress />
          </div>
        )}
        {error && (
          <div className="callout warn" role="alert">
            {error}
          </div>
        )}
        <div className="modal-actions">
          <button type="button" onClick={onClose} disabled={Boolean(busy)}>
            Cancel
          </button>
          <button type="button" className="danger ghost" onClick={() => void force()} disabled={Boolean(busy)} title="nova net rm --force: deletes the links under the instances">
            Remove anyway
          </button>
          <button type="button" className="primary" onClick={() => void detachAll()} disabled={Boolean(busy) || !canDetach}>
            Detach {users.length === 1 ? 'it' : `all ${users.length}`} and remove
          </button>
        </div>
      </div>
    </Modal>
  );
}
