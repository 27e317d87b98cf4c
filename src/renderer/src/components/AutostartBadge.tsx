import { useEffect, useState } from 'react';
import type { InstanceKind } from '../lib/actions';
import { call } from '../lib/rpc';

// Which guests start with the host (`autostart = true`, nova-guests.service), asked again whenever
// the list's names or states change.

export function useAutostart(kind: InstanceKind, key: string): ReadonlySet<string> {
  const [names, setNames] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    let live = true;
    call('autostart.list', {}).then(
      (r) => live && setNames(new Set(r.items.filter((i) => i.kind === kind && i.autostart).map((i) => i.name))),
      () => live && setNames(new Set()),
    );
    return () => {
      live = false;
    };
  }, [kind, key]);
  return names;
}

export function AutostartBadge({ name }: { name: string }) {
  return (
    <span className="badge badge-muted" title="autostart = true: started at host boot by nova-guests.service, stopped cleanly at shutdown" data-testid={`autostart-${name}`}>
      starts at boot
    </span>
  );
}
