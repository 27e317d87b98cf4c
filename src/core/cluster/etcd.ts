// A small etcd v3 client over etcd's own JSON gateway (POST /v3/kv/range, /v3/kv/txn,
// /v3/lease/*, /v3/watch, /v3/cluster/*) on the client port, mTLS with the cluster CA.
// Why not the `etcd3` npm package: it parses its .proto files from disk when loaded (the CLI is
// one bundled file, and would pay grpc-js on every start), and without a per-call deadline its
// writes stalled 7 s when the leader died (issue #23). Here every call has a deadline and tries
// the next endpoint when one does not answer.
import http from 'node:http';
import https from 'node:https';
import { NovaError } from '../../shared/errors.js';

export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
}

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

/** One comparison of a transaction (etcd's Compare), on a key's mod/create revision, version or value. */
export interface Compare {
  key: string;
  target: 'MOD' | 'CREATE' | 'VERSION' | 'VALUE';
  result?: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  value: number | string;
}

export type TxnOp = { put: { key: string; value: string; lease?: string } } | { del: { key: string; prefix?: boolean } } | { get: { key: string } };

export interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
}

export const DEFAULT_DEADLINE_MS = 3000;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
/** The key just after every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]! += 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}
const kvOf = (r: RawKv): KeyValue => ({
  key: unb64(r.key),
  value: unb64(r.value),
  createRevision: Number(r.create_revision ?? 0),
  modRevision: Number(r.mod_revision ?? 0),
  version: Number(r.version ?? 0),
  lease: r.lease ?? '0',
});

/** etcd answered, with an error of its own (not a transport failure). */
export class EtcdError extends NovaError {}

export class EtcdClient {
  private agent: http.Agent;
  private preferred = 0;

  constructor(
    readonly endpoints: string[],
    private tls?: EtcdTls,
    private deadlineMs = DEFAULT_DEADLINE_MS,
  ) {
    if (!endpoints.length) throw new NovaError('INVALID_INPUT', 'etcd: no endpoints given (e.g. https://10.0.0.2:2379)', { field: 'etcd' });
    const secure = endpoints[0]!.startsWith('https:');
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(tls ?? {}) }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** New TLS material (a renewed certificate): new connections use it; the old ones are closed a little later (calls in flight finish). */
  reloadTls(tls: EtcdTls): void {
    if (!this.endpoints[0]!.startsWith('https:')) return;
    const old = this.agent;
    this.tls = tls;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...tls });
    setTimeout(() => old.destroy(), 10_000).unref?.();
  }

  /** One HTTP POST to one endpoint, aborted at `ms`. */
  private once(endpoint: string, path: string, body: unknown, ms: number, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<unknown> {
    const mod = endpoint.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(`${endpoint}${path}`, { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}) }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (d: string) => {
          if (onChunk) onChunk(d);
          else text += d;
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (onChunk) return resolve(undefined);
          let parsed: { error?: string; message?: string; code?: number } & Record<string, unknown>;
          try {
            parsed = JSON.parse(text || '{}') as typeof parsed;
          } catch {
            return reject(new Error(`etcd ${endpoint}${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          }
          if ((res.statusCode ?? 500) >= 400 || parsed.error) {
            const msg = parsed.message ?? parsed.error ?? `HTTP ${res.statusCode}`;
            // 14 = unavailable (no leader, stopping): another endpoint may answer.
            return reject(parsed.code === 14 ? new Error(`etcd ${endpoint}: ${msg}`) : new EtcdError('CONFLICT', `etcd: ${msg}`, { code: parsed.code }));
          }
          resolve(parsed);
        });
        res.on('error', reject);
      });
      const timer = onChunk ? undefined : setTimeout(() => req.destroy(new Error(`etcd ${endpoint} did not answer within ${ms} ms`)), ms);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(JSON.stringify(body));
    });
  }

  /** Tries the endpoints (the last one that answered first) until one answers or the deadline passes. */
  async post<T>(path: string, body: unknown, deadlineMs = this.deadlineMs): Promise<T> {
    const end = Date.now() + deadlineMs;
    const errors: string[] = [];
    const n = this.endpoints.length;
    for (let attempt = 0; Date.now() < end; attempt++) {
      const i = (this.preferred + attempt) % n;
      const left = end - Date.now();
      // The first endpoint tried (the one that answered last) gets most of the time — a loaded
      // member is slow, not gone — but a silent one must leave time for the others.
      const share = attempt === 0 && n > 1 ? Math.floor(left * 0.66) : Math.max(250, Math.floor(left / Math.max(1, n - (attempt % n))));
      try {
        const r = (await this.once(this.endpoints[i]!, path, body, Math.min(left, share))) as T;
        this.preferred = i;
        return r;
      } catch (e) {
        if (e instanceof EtcdError) throw e;
        errors.push((e as Error).message);
        // After a round of refusals (no leader yet, "unhealthy cluster" just after a membership change): back off.
        if (attempt % n === n - 1) await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** Math.min(Math.floor(attempt / n), 3), Math.max(0, end - Date.now()))));
      }
    }
    throw new NovaError('TIMEOUT', `etcd did not answer within ${deadlineMs} ms (${[...new Set(errors)].slice(-3).join('; ') || 'no endpoint tried'}); the cluster is degraded, this host keeps working`, { endpoints: this.endpoints });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.post<{ kvs?: RawKv[] }>('/v3/kv/range', { key: b64(key) });
    return r.kvs?.[0] ? kvOf(r.kvs[0]) : undefined;
  }

  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.post<{ kvs?: RawKv[]; header?: { revision?: string } }>('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    return { kvs: (r.kvs ?? []).map(kvOf), revision: Number(r.header?.revision ?? 0) };
  }

  /** Puts a key; resolves to the store's revision after the put (a watch from revision + 1 sees every later change). */
  async put(key: string, value: string, lease?: string): Promise<number> {
    const r = await this.post<{ header?: { revision?: string } }>('/v3/kv/put', { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) });
    return Number(r.header?.revision ?? 0);
  }

  async del(key: string, prefix = false): Promise<number> {
    const r = await this.post<{ deleted?: string }>('/v3/kv/deleterange', { key: b64(key), ...(prefix ? { range_end: prefixEnd(key) } : {}) });
    return Number(r.deleted ?? 0);
  }

  /** Compare-and-swap: all `compare` hold → `success` ops, else `failure` ops. */
  async txn(compare: Compare[], success: TxnOp[], failure: TxnOp[] = []): Promise<{ succeeded: boolean; responses: KeyValue[][] }> {
    const op = (o: TxnOp) =>
      'put' in o
        ? { request_put: { key: b64(o.put.key), value: b64(o.put.value), ...(o.put.lease ? { lease: o.put.lease } : {}) } }
        : 'del' in o
          ? { request_delete_range: { key: b64(o.del.key), ...(o.del.prefix ? { range_end: prefixEnd(o.del.key) } : {}) } }
          : { request_range: { key: b64(o.get.key) } };
    const cmp = (c: Compare) => {
      const field = { MOD: 'mod_revision', CREATE: 'create_revision', VERSION: 'version', VALUE: 'value' }[c.target];
      return { key: b64(c.key), target: c.target, result: c.result ?? 'EQUAL', [field]: c.target === 'VALUE' ? b64(String(c.value)) : String(c.value) };
    };
    const r = await this.post<{ succeeded?: boolean; responses?: { response_range?: { kvs?: RawKv[] } }[] }>('/v3/kv/txn', { compare: compare.map(cmp), success: success.map(op), failure: failure.map(op) });
    return { succeeded: r.succeeded === true, responses: (r.responses ?? []).map((x) => (x.response_range?.kvs ?? []).map(kvOf)) };
  }

  async grant(ttlSeconds: number): Promise<string> {
    const r = await this.post<{ ID: string }>('/v3/lease/grant', { TTL: ttlSeconds });
    return r.ID;
  }

  /** Renews a lease; its TTL left, 0 when the lease is gone (expired or revoked). */
  async keepAlive(id: string, deadlineMs?: number): Promise<number> {
    const r = await this.post<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: id }, deadlineMs);
    return Number(r.result?.TTL ?? 0);
  }

  async revoke(id: string): Promise<void> {
    await this.post('/v3/lease/revoke', { ID: id }).catch((e: unknown) => {
      if (!(e instanceof EtcdError)) throw e; // "requested lease not found": already gone
    });
  }

  async members(): Promise<Member[]> {
    const r = await this.post<{ members?: { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[] }[] }>('/v3/cluster/member/list', {});
    return (r.members ?? []).map((m) => ({ id: m.ID, name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [] }));
  }

  async memberAdd(peerURLs: string[]): Promise<{ id: string; members: Member[] }> {
    const r = await this.post<{ member: { ID: string }; members?: { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[] }[] }>('/v3/cluster/member/add', { peerURLs }, 20_000);
    return { id: r.member.ID, members: (r.members ?? []).map((m) => ({ id: m.ID, name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [] })) };
  }

  /** Removes a member; one already gone counts as removed (a member removing itself may stop before it answers, and the retry finds it gone). */
  async memberRemove(id: string): Promise<void> {
    await this.post('/v3/cluster/member/remove', { ID: id }, 20_000).catch((e: unknown) => {
      if (!(e instanceof EtcdError && /member not found/.test(e.message))) throw e;
    });
  }

  /** The answering member's status: its id, the leader's id, raft term. */
  async status(endpoint: string, ms = 1000): Promise<{ memberId: string; leader: string; raftTerm: number; dbSize: number }> {
    const r = (await this.once(endpoint, '/v3/maintenance/status', {}, ms)) as { header?: { member_id?: string }; leader?: string; raftTerm?: string; dbSize?: string };
    return { memberId: r.header?.member_id ?? '', leader: r.leader ?? '', raftTerm: Number(r.raftTerm ?? 0), dbSize: Number(r.dbSize ?? 0) };
  }

  /**
   * Watches keys under `prefix` from `fromRevision` until `signal` aborts; reconnects (to the next
   * endpoint) when the stream breaks. `onEvent` gets every PUT/DELETE in order.
   */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void, signal: AbortSignal, onError?: (e: Error) => void): void {
    let next = fromRevision;
    const run = async () => {
      let idx = this.preferred;
      while (!signal.aborted) {
        const endpoint = this.endpoints[idx % this.endpoints.length]!;
        // One stream per connection: a cancelled watch (compaction) ends it, the loop opens the next.
        const conn = new AbortController();
        const stop = () => conn.abort();
        signal.addEventListener('abort', stop, { once: true });
        let buf = '';
        try {
          await this.once(endpoint, '/v3/watch', { create_request: { key: b64(prefix), range_end: prefixEnd(prefix), ...(next ? { start_revision: String(next) } : {}) } }, 0, (chunk) => {
            buf += chunk;
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              const msg = JSON.parse(line) as { result?: { events?: { type?: string; kv: RawKv }[]; compact_revision?: string; canceled?: boolean } };
              for (const ev of msg.result?.events ?? []) {
                const kv = kvOf(ev.kv);
                next = kv.modRevision + 1;
                onEvent({ type: ev.type === 'DELETE' ? 'DELETE' : 'PUT', kv });
              }
              if (msg.result?.canceled) {
                // The start revision was compacted away: go on from the oldest one kept (the
                // caller re-reads what it needs on the error).
                if (msg.result.compact_revision) next = Number(msg.result.compact_revision);
                onError?.(new Error(`etcd watch cancelled${msg.result.compact_revision ? `: revision compacted, resuming at ${next}` : ''}`));
                conn.abort();
              }
            }
          }, conn.signal);
        } catch (e) {
          if (signal.aborted) return;
          if (!conn.signal.aborted) onError?.(e as Error);
        } finally {
          signal.removeEventListener('abort', stop);
        }
        idx++;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    void run();
  }
}
