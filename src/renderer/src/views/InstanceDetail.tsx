import type { Output } from '../../../shared/contract.js';
import { useCallback, useEffect, useState } from 'react';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { LogPane } from '../components/LogPane';
import { MetricsCharts } from '../components/MetricsCharts';
import { MigratePanel } from '../components/MigratePanel';
import { SnapshotManager } from '../components/SnapshotManager';
import { StateBadge } from '../components/StateBadge';
import { ViewHeader } from '../components/ViewHeader';
import { TerminalPane } from '../components/TerminalPane';
import { UsbPicker } from '../components/UsbPicker';
import { VmDevices } from '../components/VmDevices';
import { VncConsole } from '../components/VncConsole';
import type { InstanceAction, InstanceKind } from '../lib/actions';
import { actionsFor, instanceMethod } from '../lib/actions';
import { call, errorCode, errorText } from '../lib/rpc';
import { specFacts } from '../lib/inspect';
import { useFirmwareWatch } from '../lib/firmwareWatch';
import { isFirmwareStuck } from '../../../shared/firmware-reason.js';
import { useNav } from '../stores/nav';
import { useResources } from '../stores/resources';

type Tab = 'overview' | 'metrics' | 'logs' | 'terminal' | 'serial' | 'console' | 'snapshots' | 'usb';
const TAB_LABEL: Record<Tab, string> = { overview: 'Overview', metrics: 'Metrics', logs: 'Logs', terminal: 'Terminal', serial: 'Serial log', console: 'Console', snapshots: 'Snapshots', usb: 'USB' };

/** One VM or capsule: state and actions, spec, live graphs, logs, and for VMs serial + console. */
export function InstanceDetail({ kind, name, initialTab }: { kind: InstanceKind; name: string; initialTab?: string | undefined }) {
  const go = useNav((s) => s.go);
  const row = useResources((s) => s.items.find((r) => r.kind === kind && r.name === name));
  const [inspect, setInspect] = useState<Output<'vm.inspect'> | Output<'capsule.inspect'>>();
  const [error, setError] = useState<string>();
  const [tab, setTab] = useState<Tab>(initialTab && initialTab in TAB_LABEL ? (initialTab as Tab) : 'overview');
  const back = kind === 'vm' ? 'vms' : 'capsules';
  const state = row?.state ?? inspect?.state ?? 'unknown';

  const load = useCallback(() => {
    const method = instanceMethod(kind, 'inspect');
    call(method, { name }).then(
      (v) => {
        setInspect(v);
        setError(undefined);
      },
      (e) => setError(errorText(e)),
    );
  }, [kind, name]);
  useEffect(load, [load, row?.state]);
  const running = state.toLowerCase() === 'running';
  const vmReason = inspect && 'uefi' in inspect ? inspect.reason : undefined;
  useFirmwareWatch(running && Boolean(inspect && 'uefi' in inspect && inspect.uefi) && !isFirmwareStuck(vmReason), load);

  // After a delete there is nothing left to show: back to the list once the engine agrees.
  const runAction = async (a: InstanceAction) => {
    await a.run(kind, name);
    if (a.id === 'delete') await call(instanceMethod(kind, 'inspect'), { name }).catch((e) => errorCode(e) === 'NOT_FOUND' && go(back));
  };
  const tabs: Tab[] = kind === 'vm' ? ['overview', 'metrics', 'serial', 'terminal', 'console', 'snapshots', 'usb'] : ['overview', 'metrics', 'logs', 'terminal', 'snapshots'];
  const hasConsole = Boolean(inspect && 'console' in inspect && inspect.console);
  return (
    <>
      <ViewHeader title={name} subtitle={<StateBadge state={state} reason={row?.reason} />}>
        <button type="button" onClick={() => go(back)}>
          ← Back
        </button>
        {actionsFor(state, kind).map((a) => (
          <button key={a.id} type="button" className={a.danger ? 'danger' : ''} onClick={() => void runAction(a)}>
            {a.label}
          </button>
        ))}
      </ViewHeader>
      {row?.reason && <div className="callout warn">{row.reason}</div>}
      {running && isFirmwareStuck(vmReason) && vmReason !== row?.reason && (
        <div className="callout warn" role="alert" data-testid="firmware-stuck">
          {vmReason}
        </div>
      )}
      {kind === 'vm' && <MigratePanel vm={name} state={state} />}
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} data-testid={`tab-${t}`} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {kind === 'vm' && t === 'terminal' ? 'Serial console' : TAB_LABEL[t]}
          </button>
        ))}
      </div>
      <section className="tab-panel" role="tabpanel">
        {tab === 'overview' &&
          (error ? (
            <ErrorNotice message={error} onRetry={load} />
          ) : !inspect ? (
            <p className="muted">Loading…</p>
          ) : (
            <>
              <dl className="facts" data-testid="inspect">
                {specFacts(inspect).filter(([k]) => kind !== 'vm' || (k !== 'nics' && k !== 'shares')).map(([k, v]) => (
                  <div key={k} className="fact">
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
              {kind === 'vm' && 'mac' in inspect && <VmDevices vm={inspect} />}
            </>
          ))}
        {tab === 'metrics' && <MetricsCharts kind={kind} name={name} />}
        {(tab === 'logs' || tab === 'serial') && <LogPane kind={kind} name={name} />}
        {tab === 'terminal' &&
          (state.toLowerCase() === 'running' ? (
            <TerminalPane target={{ kind, name }} />
          ) : (
            <EmptyState title="No terminal" hint={kind === 'vm' ? 'Start the VM to type on its serial console.' : 'Start the capsule to open a shell in it.'} />
          ))}
        {tab === 'usb' && <UsbPicker vm={name} running={state.toLowerCase() === 'running'} />}
        {tab === 'snapshots' && <SnapshotManager kind={kind} name={name} state={state.toLowerCase()} />}
        {tab === 'console' &&
          (hasConsole && state.toLowerCase() === 'running' ? (
            <VncConsole vm={name} />
          ) : (
            <EmptyState title="No console" hint={state.toLowerCase() === 'running' ? 'This VM exposes no VNC display (check its display settings).' : 'Start the VM to see its screen.'} />
          ))}
      </section>
    </>
  );
}
