// Soak: the real `nova serve` process under N well-behaved WebSocket clients plus clients that
// send malformed frames, for a fixed time. Reports resource.list p99 under load against an idle
// baseline measured in the same run (ratio), the server's RSS growth, every unexpected client
// error by cause, and whether the server survived.
//
// Honesty rules: well-behaved clients stay under the per-client rate limit (limits.ts), so their
// latency is the server's, not throttling we asked for; malformed clients are *expected* to be
// cut off (that is the server defending itself) and are counted apart; a reset of a
// well-behaved client is a failure and is reported with its cause.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNode } from '../src/server/client.js';
import { RATE_PER_SECOND } from '../src/server/limits.js';
import { interleave, runsOr } from './sample.js';
import { startServe } from './serve.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const SECONDS = Number(process.env.NOVA_SOAK_SECONDS ?? 20);
const CLIENTS = Number(process.env.NOVA_SOAK_CLIENTS ?? 50);
const MALFORMED = Number(process.env.NOVA_SOAK_MALFORMED ?? 5);
/** Each well-behaved client's pace: a quarter of the per-client limit. */
const PER_CLIENT_RATE = Math.min(40, RATE_PER_SECOND / 4);
const MIXED = ['resource.list', 'host.info', 'prefs.get', 'vm.list', 'no.such.method'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Sequential resource.list calls at a steady pace; latencies in ms. */
async function probe(url: string, token: string, until: number, every: number): Promise<number[]> {
  const c = await connectNode(url, token);
  const out: number[] = [];
  try {
    while (Date.now() < until) {
      const t = performance.now();
      await c.call('resource.list', {});
      out.push(performance.now() - t);
      await sleep(every);
    }
  } finally {
    c.close();
  }
  return out;
}

interface Tally {
  calls: number;
  /** Errors a well-behaved client did not expect, by message. */
  unexpected: Map<string, number>;
}

async function goodClient(url: string, token: string, until: number, t: Tally): Promise<void> {
  const c = await connectNode(url, token);
  try {
    for (let i = 0; Date.now() < until; i++) {
      const method = MIXED[i % MIXED.length]!;
      try {
        await c.call(method, {});
      } catch (e) {
        // An unknown method is refused by design; anything else is a finding.
        if (method !== 'no.such.method') t.unexpected.set((e as Error).message, (t.unexpected.get((e as Error).message) ?? 0) + 1);
      }
      t.calls++;
      await sleep(1000 / PER_CLIENT_RATE);
    }
  } finally {
    c.close();
  }
}

/** Raw bytes after a real handshake; how the server dealt with them: an error reply on a live
 * connection (JSON-level junk), or the connection ended (frame-level violations). */
function hostile(port: number, token: string, bytes: Buffer): Promise<'answered' | 'closed' | 'reset' | 'ignored'> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let head = '';
    let upgraded = false;
    const timer = setTimeout(() => (s.destroy(), resolve('ignored')), 10_000);
    s.on('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code === 'ECONNRESET' ? 'reset' : 'closed')));
    s.on('close', () => (clearTimeout(timer), resolve('closed')));
    // The first frame back: a close frame (opcode 8) means cut off, anything else is a reply.
    const classify = (f: Buffer) => (clearTimeout(timer), s.destroy(), resolve((f[0]! & 0x0f) === 8 ? 'closed' : 'answered'));
    s.on('data', (d: Buffer) => {
      if (upgraded) return classify(d);
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      s.write(bytes);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length) classify(rest);
    });
    s.write(
      `GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: nova.rpc\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
  });
}

function frame(payload: Buffer, o: { mask?: boolean; rsv?: number; length?: number; opcode?: number } = {}): Buffer {
  const len = o.length ?? payload.length;
  const m = o.mask === false ? 0 : 0x80;
  const head = Buffer.from([0x80 | (o.rsv ?? 0) | (o.opcode ?? 1), m | (len < 126 ? len : len < 65536 ? 126 : 127)]);
  const ext = len < 126 ? Buffer.alloc(0) : len < 65536 ? Buffer.from([len >> 8, len & 255]) : (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })();
  if (!m) return Buffer.concat([head, ext, payload]);
  const key = randomBytes(4);
  return Buffer.concat([head, ext, key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))]);
}

const KILLERS: Buffer[] = [
  frame(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"host.info"}'), { mask: false }), // unmasked
  frame(Buffer.from('x'), { rsv: 0x40 }), // reserved bit
  frame(Buffer.from([0xff, 0xfe, 0xfd])), // bad UTF-8 in a text frame
  frame(Buffer.alloc(16), { length: 8 * 1024 * 1024 }), // announces 8 MiB (over the frame cap)
  frame(Buffer.from(`{"jsonrpc":"2.0","method":"host.info","id":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)), // id nested 10^4 deep
  frame(Buffer.from(JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'host.info' }))))), // giant batch
  frame(Buffer.from('{not json')),
];

async function malformedClient(port: number, token: string, until: number, outcomes: Map<string, number>): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    const how = await hostile(port, token, KILLERS[i % KILLERS.length]!);
    outcomes.set(how, (outcomes.get(how) ?? 0) + 1);
    await sleep(50);
  }
}

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-soak-'));
  const token = randomBytes(24).toString('base64url');
  const { child, url } = await startServe(home, token);
  const port = Number(new URL(url).port);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exit ${code ?? signal}`));
  try {
    // Warm-up, then idle and loaded windows interleaved (ABBA, sample.ts): whatever else the
    // machine is doing drifts over both alike, so the ratio is the load's, not the neighbours'.
    await probe(url, token, Date.now() + 2000, 5);
    const rounds = runsOr(4);
    const windowMs = (SECONDS * 1000) / rounds;
    const idle: number[] = [];
    const underLoad: number[] = [];
    const tally: Tally = { calls: 0, unexpected: new Map() };
    const outcomes = new Map<string, number>();
    const connectFailures: string[] = [];
    const rssBefore = rssMiB(child.pid!);
    const idleWindow = async () => {
      const xs = await probe(url, token, Date.now() + windowMs, 10);
      idle.push(...xs);
      return percentile(xs, 99);
    };
    const loadedWindow = async () => {
      const until = Date.now() + windowMs;
      const good = Array.from({ length: CLIENTS }, () => goodClient(url, token, until, tally).catch((e: Error) => void connectFailures.push(e.message)));
      const bad = Array.from({ length: MALFORMED }, () => malformedClient(port, token, until, outcomes));
      const [xs] = await Promise.all([probe(url, token, until, 10), ...good, ...bad]);
      underLoad.push(...xs);
      return percentile(xs, 99);
    };
    const windows = await interleave(idleWindow, loadedWindow, rounds, 0);
    const rssAfter = rssMiB(child.pid!);

    const healthy = !exited && (await fetch(`${url}/healthz`).then((r) => r.ok, () => false));
    const after = healthy ? await connectNode(url, token).then(async (c) => (await c.call('host.info', {}), c.close(), true), () => false) : false;
    const p99Idle = percentile(idle, 99);
    const p99Load = percentile(underLoad, 99);
    const errors = [...tally.unexpected].map(([m, n]) => `${n}× ${m}`).concat(connectFailures.map((m) => `connect: ${m}`));
    const notes =
      `p99 per window idle ${windows.a.map((x) => x.toFixed(1)).join('/')} ms, loaded ${windows.b.map((x) => x.toFixed(1)).join('/')} ms (${rounds} interleaved pairs); ` +
      `${SECONDS}s loaded, ${CLIENTS} clients at ${PER_CLIENT_RATE}/s each (${tally.calls} calls), ${MALFORMED} malformed clients ` +
      `(${[...outcomes].map(([k, n]) => `${n} ${k}`).join(', ')}); unexpected errors of well-behaved clients: ${errors.length ? errors.join('; ') : 'none'}; ` +
      `server ${exited ?? 'alive'}, answering afterwards: ${after}`;
    return [
      await saveResult({ name: 'rpc-soak-list-p99', metric: 'resource.list p99 under soak vs idle (same run)', unit: 'ms', value: p99Load, baseline: p99Idle, ratio: p99Load / p99Idle, goal: '<= 10x idle, server alive, 0 unexpected errors', met: p99Load / p99Idle <= 10 && healthy && after && errors.length === 0, notes }),
      await saveResult({ name: 'rpc-soak-rss-growth', metric: 'nova serve RSS growth during the soak', unit: 'MiB', value: rssAfter - rssBefore, baseline: rssBefore, ratio: rssAfter / rssBefore, goal: '< 64 MiB', met: rssAfter - rssBefore < 64, notes: `RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MiB` }),
    ];
  } finally {
    child.kill('SIGTERM');
    await rm(home, { recursive: true, force: true });
  }
}
