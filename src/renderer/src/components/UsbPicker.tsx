import type { Output } from '../../../shared/contract.js';
import { useCallback, useEffect, useState } from 'react';
import { act } from '../lib/actions';
import { call, errorText } from '../lib/rpc';
import { EmptyState } from './EmptyState';
import { ErrorNotice } from './ErrorNotice';

type UsbDevice = Output<'usb.list'>['items'][number];

const nameOf = (d: UsbDevice) => [d.vendorName ?? d.manufacturer, d.productName ?? d.product].filter(Boolean).join(' ') || 'Unknown device';

/** The host's USB devices: attach one to this (running) VM, detach what it holds; who holds each. */
export function UsbPicker({ vm, running }: { vm: string; running: boolean }) {
  const [items, setItems] = useState<UsbDevice[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const load = useCallback(() => {
    call('usb.list', {}).then(
      (v) => {
        setItems(v.items.filter((d) => !d.hub));
        setError(undefined);
      },
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load]);

  const run = async (d: UsbDevice, verb: 'attach' | 'detach') => {
    setBusy(d.port);
    const method = verb === 'attach' ? 'vm.usb.attach' : 'vm.usb.detach';
    await act(method, { name: vm, device: d.port }, verb === 'attach' ? `${nameOf(d)} attached to ${vm}` : `${nameOf(d)} given back to the host`);
    setBusy(undefined);
    load();
  };

  if (error) return <ErrorNotice message={error} onRetry={load} />;
  if (!items) return <p className="muted">Reading USB devices…</p>;
  if (!items.length) return <EmptyState title="No USB devices" hint="This host shows no USB devices to pass through (nothing plugged in, or no USB bus)." />;
  return (
    <div data-testid="usb-picker">
      {!running && <p className="hint">Start the VM to attach a device; <code>usb = [&quot;vvvv:pppp&quot;]</code> in its NovaFile entry attaches it at every start.</p>}
      <table className="table">
        <thead>
          <tr><th>Device</th><th>ID</th><th>Port</th><th>Held by</th><th /></tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.port} data-testid={`usb-${d.port}`}>
              <td>{nameOf(d)}</td>
              <td><code>{d.id}</code></td>
              <td><code>{d.port}</code></td>
              <td>{d.vm ? (d.vm === vm ? 'this VM' : d.vm) : 'host'}</td>
              <td>
                {d.vm === vm ? (
                  <button type="button" disabled={busy === d.port} onClick={() => void run(d, 'detach')}>Detach</button>
                ) : (
                  <button type="button" disabled={!running || Boolean(d.vm) || busy === d.port} title={d.vm ? `attached to VM ${d.vm}: detach it there first` : undefined} onClick={() => void run(d, 'attach')}>Attach</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
