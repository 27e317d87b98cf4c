import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../../shared/contract/privileged.js';
import type { VerbGroup } from '../../shared/contract/privileged.js';
import { NovaError, toNovaError } from '../../shared/errors.js';
import type { Result } from '../../shared/errors.js';
import { createEngine } from '../engine.js';
import { netCtx } from '../network/context.js';
import { superviseOverlays } from '../network/overlay/supervise.js';
import { directNetworkOps } from '../network/direct.js';
import { holdCrashPoints } from '../sys/crash-point.js';
import { resolvePaths } from '../sys/paths.js';
import { authorize } from './authz.js';
import type { AuthzOptions } from './authz.js';
import { verbHandlers } from './handlers.js';
import { pruneOwners } from './prune-owners.js';
import { systemHandlers } from './system-verbs.js';
import { convergeDeviceIntents, gpuVerbHandlers, privdDevices, pruneDeviceOwners } from './handlers-gpu.js';
import type { VerbHandlers } from './handlers.js';
import { Owners } from './owners.js';
import { peerOf } from './peer.js';
import type { Peer } from './peer.js';
import { isVerb, VERBS } from './verbs.js';
import { lazy } from '../../shared/lazy.js';

// `nova privd`: the one root process of a desktop Nova. A unix socket (mode 0666: who may do what
// is decided per verb), one JSON request line per connection, one JSON answer line. The caller
// is identified by the kernel (SO_PEERCRED), authorized per verb group (polkit, or the --group
// fallback), and every verb is logged with its uid. Changes run one at a time.

export { DEFAULT_SOCKET } from '../privilege/client.js';
const MAX_REQUEST = 256 * 1024;

export interface PrivdOptions {
  socket: string;
  group?: AuthzOptions['group'];
  env?: NodeJS.ProcessEnv;
  /** One line per verb (default: stderr, i.e. the journal under systemd). */
  log?: (line: string) => void;
}

export interface Privd {
  socket: string;
  close(): Promise<void>;
}

const request = lazy(() => z.object({ verb: z.string(), input: z.unknown().optional() }).strict());

export async function startPrivd(opts: PrivdOptions): Promise<Privd> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  // NOVA_CRASH_AT (tests) counts the crash points of verbs (of NOVA_CRASH_VERB only, when set),
  // not those of the start-up convergence; NOVA_CRASH_VERB=startup counts only the convergence's
  // (a kill while the helper recovers from an earlier kill).
  const crashVerb = env.NOVA_CRASH_VERB;
  holdCrashPoints(crashVerb !== 'startup');
  // Its own paths are root's (/var/lib/nova, /run/nova), or NOVA_HOME for tests: a root engine
  // on the same host shares them, so both see the same switches.
  const engine = createEngine({ env, paths: resolvePaths(env, 0) }, []);
  const ctx = netCtx(engine);
  const ops = directNetworkOps(ctx);
  const owners = Owners.in(engine.paths.data);
  const devices = privdDevices(engine, env);
  const handlers: VerbHandlers = { ...verbHandlers(ops, ctx, owners), ...gpuVerbHandlers(devices, owners), ...systemHandlers(engine.runner, ops, ctx, owners, env) };
  const authz: AuthzOptions = { ...(opts.group ? { group: opts.group } : {}), env };

  // Converge first: what a crash (kill -9 mid-create) left half-made is removed or completed.
  const report = await ops.hydrate();
  await pruneOwners(ctx, owners);
  await convergeDeviceIntents(devices, owners, log);
  await pruneDeviceOwners(devices, owners);
  holdCrashPoints();
  if (devices.root !== '/sys' || devices.vfioDir !== '/dev/vfio') log(`privd: devices from ${devices.root}, VFIO group nodes in ${devices.vfioDir} (set at start: a test's fixtures)`);
  if (report.recreated.length + report.repaired.length + report.removed.length) log(`privd: hydrate ${JSON.stringify(report)}`);

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  // Overlay tunnels (wireguard-go, the QUIC helper) that die are restarted (under the network lock).
  const stopOverlays = superviseOverlays(ctx, { onRepaired: (name) => log(`privd: overlay ${name} tunnel restarted`), onFailed: (name, why) => log(`privd: overlay ${name} tunnel not restarted: ${why}`) });
  const server = createServer((sock) => serve(sock, (line, peer) => answer(line, peer)));
  async function answer(line: string, peer: Peer): Promise<Result<unknown>> {
    let verb = '?';
    const started = Date.now();
    try {
      const req = request.safeParse(JSON.parse(line));
      if (!req.success || !isVerb(req.data.verb)) throw new NovaError('INVALID_INPUT', `unknown request: nova privd knows ${Object.keys(VERBS).join(', ')}`);
      const v = req.data.verb;
      verb = v;
      const def = VERBS[v];
      const parsed = def.input.safeParse(req.data.input ?? undefined);
      if (!parsed.success) {
        const first = parsed.error.issues[0]!;
        const field = first.path.map(String).join('.') || '(input)';
        throw new NovaError('INVALID_INPUT', `${v}: invalid ${field}: ${first.message}`, { field });
      }
      // The verb group's action, then a stricter one some inputs need (gpu.bind --force).
      const stricter = 'stricter' in def ? (def.stricter as (i: unknown) => VerbGroup | undefined)(parsed.data) : undefined;
      for (const group of def.group ? [def.group, ...(stricter ? [stricter] : [])] : []) {
        const action = POLKIT_ACTIONS[group];
        const d = await authorize(peer, action, authz);
        if (!d.allowed) throw new NovaError('PERMISSION', `${v}${stricter === group ? ' with force' : ''} needs the polkit action ${action}: ${d.why}. Nothing was changed. To get it: ${d.fix}.`, { action, fix: d.fix });
      }
      const verbHandler = handlers[v] as (i: unknown, p: Peer) => Promise<unknown>;
      const handler = crashVerb !== v ? verbHandler : async (i: unknown, p: Peer) => {
        holdCrashPoints(false);
        try {
          return await verbHandler(i, p);
        } finally {
          holdCrashPoints(true);
        }
      };
      const value = def.group ? await serial(() => handler(parsed.data, peer)) : await handler(parsed.data, peer);
      log(`privd: uid=${peer.uid} pid=${peer.pid} ${v} ${summary(parsed.data)} → ok (${Date.now() - started} ms)`);
      return { ok: true, value };
    } catch (e) {
      const err = toNovaError(e);
      log(`privd: uid=${peer.uid} pid=${peer.pid} ${verb} → ${err.code}: ${err.message}`);
      return { ok: false, error: err.toJSON() };
    }
  }

  await listen(server, opts.socket, env);
  if (!crashVerb) holdCrashPoints(false);
  log(`privd: listening on ${opts.socket}${opts.group ? ` (fallback group ${opts.group.name})` : ''}`);
  return {
    socket: opts.socket,
    async close() {
      stopOverlays();
      await new Promise<void>((r) => server.close(() => r()));
      await queue;
      await engine.close();
    },
  };
}

/** Names in a verb's input, for the log (inputs carry no secrets, but stay short). */
const summary = (input: unknown) => JSON.stringify(input).slice(0, 300);

/**
 * Reads one request line, then identifies the peer, then writes one answer line. In that order:
 * handing the socket to nova-peercred stops Node reading from it (the kernel's SO_PEERCRED is
 * fixed at connect, so asking after the request arrived is as sound as before).
 */
function serve(sock: Socket, handle: (line: string, peer: Peer) => Promise<Result<unknown>>): void {
  sock.on('error', () => undefined);
  const fail = (code: string, message: string) => sock.end(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString('utf8');
    const nl = buf.indexOf('\n');
    if (nl < 0 && buf.length <= MAX_REQUEST) return;
    sock.off('data', onData);
    if (nl < 0 || nl > MAX_REQUEST) return fail('INVALID_INPUT', 'request too large');
    void peerOf(sock).then(
      (peer) => handle(buf.slice(0, nl), peer).then((r) => sock.end(`${JSON.stringify(r)}\n`)),
      (e: Error) => fail('PERMISSION', e.message),
    );
  };
  sock.on('data', onData);
}

/** Socket activation (systemd passes fd 3) or our own socket file, mode 0666. */
async function listen(server: Server, socket: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (env.LISTEN_FDS === '1' && env.LISTEN_PID === String(process.pid)) {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ fd: 3 }, resolve));
    return;
  }
  await mkdir(dirname(socket), { recursive: true, mode: 0o755 });
  await rm(socket, { force: true });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  await chmod(socket, 0o666);
}
