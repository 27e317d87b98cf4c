// The networks' `nova ls` rows, from what network.list returns.
import type { NetworkInfo } from '../../shared/contract/network.js';
import type { ResourceSummary } from '../../shared/contract/resource.js';

export const networkRow = (n: NetworkInfo): ResourceSummary => ({
  kind: 'network',
  name: n.name,
  state: n.state,
  ...(n.reason ? { reason: n.reason } : {}),
  ...(n.project ? { project: n.project } : {}),
  detail: [n.spec.type, n.spec.profile ?? (n.spec.type === 'overlay' ? 'overlay' : 'nat'), n.subnet, `${n.attached} attached`].filter(Boolean).join(' · '),
});
