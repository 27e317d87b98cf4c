import { InstanceList } from '../components/InstanceList';
import { ViewHeader } from '../components/ViewHeader';
import { useNav } from '../stores/nav';
import { InstanceDetail } from './InstanceDetail';

export function CapsulesView() {
  const detail = useNav((s) => s.detail);
  if (detail?.kind === 'capsule') return <InstanceDetail kind="capsule" name={detail.name} />;
  return (
    <>
      <ViewHeader title="Capsules" subtitle="OCI containers run by crun/runc" />
      <InstanceList kind="capsule" emptyHint="Pull an image with `nova image pull REF`, then `nova capsule create NAME --image REF`, or declare [container.NAME] in a NovaFile." />
    </>
  );
}
