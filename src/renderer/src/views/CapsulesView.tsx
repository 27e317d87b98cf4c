import { useState } from 'react';
import { InstanceList } from '../components/InstanceList';
import { ViewHeader } from '../components/ViewHeader';
import { useNav } from '../stores/nav';
import { ImagesPanel } from './ImagesPanel';
import { InstanceDetail } from './InstanceDetail';
import { NewCapsuleDialog } from './NewCapsuleDialog';

type Tab = 'capsules' | 'images';

export function CapsulesView() {
  const detail = useNav((s) => s.detail);
  const [tab, setTab] = useState<Tab>('capsules');
  const [creating, setCreating] = useState(false);
  if (detail?.kind === 'capsule') return <InstanceDetail kind="capsule" name={detail.name} />;
  return (
    <>
      <ViewHeader title="Capsules" subtitle="OCI containers run by crun/runc, and their images">
        <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="new-capsule">New capsule…</button>
      </ViewHeader>
      <div className="tabs" role="tablist" aria-label="Capsules or images">
        {(['capsules', 'images'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={`tab ${tab === t ? 'active' : ''}`} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === 'capsules' ? 'Capsules' : 'Images'}
          </button>
        ))}
      </div>
      {tab === 'capsules' ? (
        <InstanceList kind="capsule" emptyHint="Create one with “New capsule…” (from an image you pull or import under Images), or declare [container.NAME] in a NovaFile and run `nova up`." />
      ) : (
        <ImagesPanel />
      )}
      <NewCapsuleDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}
