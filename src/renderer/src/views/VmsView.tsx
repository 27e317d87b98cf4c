import { useState } from 'react';
import { InstanceList } from '../components/InstanceList';
import { ViewHeader } from '../components/ViewHeader';
import { useNav } from '../stores/nav';
import { InstanceDetail } from './InstanceDetail';
import { VmWizard } from './VmWizard';

export function VmsView() {
  const detail = useNav((s) => s.detail);
  const [wizard, setWizard] = useState(false);
  if (detail?.kind === 'vm') return <InstanceDetail key={`${detail.name}:${detail.tab ?? ''}`} kind="vm" name={detail.name} initialTab={detail.tab} />;
  return (
    <>
      <ViewHeader title="Virtual machines" subtitle="QEMU guests on this host, live">
        <button type="button" className="primary" onClick={() => setWizard(true)} data-testid="new-vm">
          New VM…
        </button>
      </ViewHeader>
      <InstanceList kind="vm" emptyHint="Create one with “New VM…”, `nova vm create`, or declare it in a NovaFile and run `nova up`." />
      <VmWizard open={wizard} onOpenChange={setWizard} />
    </>
  );
}
