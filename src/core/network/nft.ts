import { join } from 'node:path';
import { writeRuntimeFile } from './runtime-file.js';
import { parsePortForward } from '../../shared/schemas/fields.js';
import type { NetCtx } from './context.js';
import { parseSubnet } from './ipam.js';
import type { NetworkState } from './store.js';

// The whole nftables table as data: rebuilt from every declared switch and applied in one
// atomic `nft -j -f` transaction (flush + re-add), so a crash can never leave half a ruleset.
// Every rule carries a comment "nova:<network>:<purpose>" that status checks read back.

type Expr = Record<string, unknown>;
export interface NftRule {
  chain: 'prerouting' | 'output' | 'postrouting' | 'forward';
  expr: Expr[];
  comment: string;
}

const CHAINS = {
  prerouting: { type: 'nat', hook: 'prerouting', prio: -100 },
  output: { type: 'nat', hook: 'output', prio: -100 },
  postrouting: { type: 'nat', hook: 'postrouting', prio: 100 },
  forward: { type: 'filter', hook: 'forward', prio: 0 },
} as const;

const match = (left: unknown, right: unknown, op = '=='): Expr => ({ match: { op, left, right } });
const ip = (field: 'saddr' | 'daddr') => ({ payload: { protocol: 'ip', field } });
const meta = (key: string) => ({ meta: { key } });
const prefix = (cidr: string) => {
  const [addr, len] = cidr.split('/');
  return { prefix: { addr, len: Number(len) } };
};
const ct = (key: string) => ({ ct: { key } });
const localDest = match({ fib: { result: 'type', flags: ['daddr'] } }, 'local');

/** Resolved forward: where the owner's address is now (undefined when unknown: rule skipped). */
export type TargetOf = (net: NetworkState, owner: { kind: string; name: string }) => string | undefined;

export function buildRules(nets: NetworkState[], targetOf: TargetOf, uplinkOf: (n: NetworkState) => string | undefined): NftRule[] {
  const rules: NftRule[] = [];
  for (const n of nets) {
    const br = n.name;
    const tag = (what: string) => `nova:${n.name}:${what}`;
    const profile = n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat');
    if (!n.subnet || profile === 'external') continue;
    const s = parseSubnet(n.subnet);
    if (profile === 'nat') {
      const up = uplinkOf(n);
      rules.push({ chain: 'postrouting', comment: tag('masquerade'), expr: [match(ip('saddr'), prefix(s.cidr)), match(ip('daddr'), prefix(s.cidr), '!='), ...(up ? [match(meta('oifname'), up)] : []), { masquerade: null }] });
      rules.push({ chain: 'postrouting', comment: tag('hairpin'), expr: [match(ip('saddr'), prefix(s.cidr)), match(ip('daddr'), prefix(s.cidr)), match(ct('status'), 'dnat', 'in'), { masquerade: null }] });
      rules.push({ chain: 'forward', comment: tag('out'), expr: [match(meta('iifname'), br), { accept: null }] });
      rules.push({ chain: 'forward', comment: tag('return'), expr: [match(meta('oifname'), br), match(ct('state'), ['established', 'related'], 'in'), { accept: null }] });
      rules.push({ chain: 'forward', comment: tag('dnat'), expr: [match(meta('oifname'), br), match(ct('status'), 'dnat', 'in'), { accept: null }] });
      rules.push({ chain: 'forward', comment: tag('guard'), expr: [match(meta('oifname'), br), { drop: null }] });
      if (n.forwards.length) {
        rules.push({ chain: 'postrouting', comment: tag('localhost'), expr: [match(ip('saddr'), prefix('127.0.0.0/8')), match(meta('oifname'), br), match(ct('status'), 'dnat', 'in'), { masquerade: null }] });
      }
      for (const f of n.forwards) {
        const target = targetOf(n, f.owner);
        if (!target) continue;
        const p = parsePortForward(f.port);
        const dest = [
          ...(p.hostIp ? [match(ip('daddr'), p.hostIp)] : [localDest]),
          match({ payload: { protocol: p.protocol, field: 'dport' } }, p.hostPort),
          { dnat: { addr: target, port: p.guestPort } },
        ];
        const c = tag(`fwd:${f.owner.kind}:${f.owner.name}:${p.hostPort}/${p.protocol}`);
        rules.push({ chain: 'prerouting', comment: c, expr: dest });
        rules.push({ chain: 'output', comment: c, expr: dest });
      }
    } else {
      // isolated (and overlays without a profile): the switch talks to itself and the host only.
      rules.push({ chain: 'forward', comment: tag('isolate-out'), expr: [match(meta('iifname'), br), match(meta('oifname'), br, '!='), { drop: null }] });
      rules.push({ chain: 'forward', comment: tag('isolate-in'), expr: [match(meta('oifname'), br), match(meta('iifname'), br, '!='), { drop: null }] });
    }
  }
  return rules;
}

export function rulesetJson(table: string, rules: NftRule[]): string {
  const t = { family: 'ip', name: table };
  const cmds: unknown[] = [{ add: { table: t } }, { flush: { table: t } }];
  for (const [name, c] of Object.entries(CHAINS)) {
    cmds.push({ add: { chain: { family: 'ip', table, name, type: c.type, hook: c.hook, prio: c.prio, policy: 'accept' } } });
  }
  for (const r of rules) cmds.push({ add: { rule: { family: 'ip', table, chain: r.chain, expr: r.expr, comment: r.comment } } });
  return JSON.stringify({ nftables: cmds });
}

/** Applies the table atomically; deletes it when nothing is declared. */
export async function applyRuleset(ctx: NetCtx, rules: NftRule[], anyNetworks: boolean): Promise<void> {
  if (!anyNetworks) {
    await ctx.run(['nft', 'delete', 'table', 'ip', ctx.table], { allowFailure: true });
    return;
  }
  // nft cannot read /dev/stdin when it is a socket (how Node pipes stdio): go through a file,
  // which also leaves the last applied ruleset on disk for support bundles.
  const file = join(ctx.runDir, `nft-${ctx.table}.json`);
  await writeRuntimeFile(file, rulesetJson(ctx.table, rules));
  await ctx.run(['nft', '-j', '-f', file]);
}

export interface LiveRule {
  chain: string;
  handle: number;
  comment?: string;
}

/** The table as it is on the host (`nft -j list table`); empty when the table does not exist. */
export async function readRules(ctx: NetCtx): Promise<LiveRule[]> {
  const r = await ctx.run(['nft', '-j', 'list', 'table', 'ip', ctx.table], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  const items = (JSON.parse(r.stdout) as { nftables: Record<string, { chain: string; handle: number; comment?: string }>[] }).nftables;
  return items.filter((i) => i.rule).map((i) => ({ chain: i.rule!.chain, handle: i.rule!.handle, ...(i.rule!.comment ? { comment: i.rule!.comment } : {}) }));
}
