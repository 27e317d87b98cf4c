import type { ResourceSummary } from '../../shared/contract/resource.js';
import { compareNames } from '../../shared/name-order.js';
import type { ResourceKind } from '../../shared/resource-kinds.js';

export type ResourceProvider = () => Promise<ResourceSummary[]>;

/** Each backend contributes its rows to `resource.list` (`nova ls`, the dashboard). */
export class ResourceRegistry {
  private providers = new Map<ResourceKind, ResourceProvider[]>();

  provide(kind: ResourceKind, provider: ResourceProvider): void {
    this.providers.set(kind, [...(this.providers.get(kind) ?? []), provider]);
  }

  async list(filter: { kind?: ResourceKind; project?: string } = {}): Promise<ResourceSummary[]> {
    const kinds = filter.kind ? [filter.kind] : ([...this.providers.keys()] as ResourceKind[]);
    const rows = await Promise.all(kinds.flatMap((k) => (this.providers.get(k) ?? []).map((p) => p())));
    return rows
      .flat()
      .filter((r) => !filter.project || r.project === filter.project)
      .sort((a, b) => compareNames(a.kind, b.kind) || compareNames(a.name, b.name));
  }
}
