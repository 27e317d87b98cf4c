// `nova up|down --cluster` on each host: the cluster agent reads the requests under
// /nova/<cluster>/deploy/, and for each one it has not answered yet applies this host's part
// through its own engine — `novafile.up` of a NovaFile holding only the items placed here (a
// whole-file plan, so what moved away or is no longer declared is pruned), or `novafile.down` —
// and reports the result (drift included) under /reports/<project>/<host>.
import type { ClusterHostReport } from '../../shared/contract/cluster.js';
import type { EngineContext } from '../context.js';
import type { ClusterConfig } from './config.js';
import { keys } from './config.js';
import { hostNovafile } from './deploy-plan.js';
import type { EtcdClient } from './etcd.js';

export interface DeployRequest {
  gen: string;
  project: string;
  down?: boolean;
  /** The NovaFile as written, its path and folder (relative paths resolve there on every host). */
  text?: string;
  file?: string;
  dir?: string;
  /** Non-HA items ("capsule/api") by the host that applies them. */
  hosts: Record<string, string[]>;
  at: number;
  by: string;
}

export interface DeployReport {
  gen: string;
  ok: boolean;
  message: string;
  changes: ClusterHostReport['changes'];
  applied: ClusterHostReport['applied'];
  at: number;
}

export class DeployWorker {
  /** Generations answered, by project (filled from etcd on the first tick). */
  private answered: Map<string, string> | undefined;

  constructor(
    private engine: EngineContext,
    private config: ClusterConfig,
    private client: EtcdClient,
    private note: (what: string) => void,
  ) {}

  /** Answers every request not answered yet; returns whether it applied anything. */
  async tick(afterApply: () => Promise<void>): Promise<boolean> {
    const k = keys(this.config.cluster);
    const me = this.config.name;
    const reqs = (await this.client.range(k.deploys)).kvs.map((kv) => JSON.parse(kv.value) as DeployRequest);
    if (!this.answered) {
      this.answered = new Map();
      for (const r of reqs) {
        const mine = await this.client.get(k.report(r.project, me));
        if (mine) this.answered.set(r.project, (JSON.parse(mine.value) as DeployReport).gen);
      }
    }
    let did = false;
    for (const r of reqs) {
      if (this.answered.get(r.project) === r.gen) continue;
      const report = await this.apply(r);
      await afterApply().catch(() => undefined);
      await this.client.put(k.report(r.project, me), JSON.stringify(report));
      this.answered.set(r.project, r.gen);
      this.note(`${r.down ? 'down' : 'up'} ${r.project} (from ${r.by}): ${report.message}`);
      did = true;
    }
    return did;
  }

  private async apply(r: DeployRequest): Promise<DeployReport> {
    const at = () => this.engine.clock.now();
    try {
      if (r.down) {
        const d = await this.engine.call('novafile.down', { project: r.project });
        return { gen: r.gen, ok: d.ok, message: d.message, changes: [], applied: d.removed, at: at() };
      }
      const text = hostNovafile(r.text ?? '', r.project, r.hosts[this.config.name] ?? []);
      const u = await this.engine.call('novafile.up', { text, ...(r.file ? { path: r.file } : {}), ...(r.dir ? { cwd: r.dir } : {}) });
      const changes = u.plan.changes.filter((c) => c.action !== 'noop' || c.blocked);
      return { gen: r.gen, ok: u.ok, message: u.message, changes, applied: u.applied, at: at() };
    } catch (e) {
      return { gen: r.gen, ok: false, message: (e as Error).message, changes: [], applied: [], at: at() };
    }
  }
}
