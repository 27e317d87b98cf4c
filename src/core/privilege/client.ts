import { createConnection } from 'node:net';
import { POLKIT_ACTIONS } from '../../shared/contract/privileged.js';
import type { VerbGroup } from '../../shared/contract/privileged.js';
import { NovaError } from '../../shared/errors.js';
import type { NovaErrorData } from '../../shared/errors.js';
import { VERBS } from '../privd/verbs.js';
import { DEFAULT_SOCKET, privdSocket } from './socket.js';
import type { Verb, VerbInput } from '../privd/verbs.js';

// The engine's side of `nova privd`: one connection per verb, one JSON line each way. The helper
// learns who we are from the kernel, so nothing here says who we are.

export { DEFAULT_SOCKET, privdPresent, privdSocket } from './socket.js';

/** The fix when the helper is not there, for every message that needs it. */
export function startHelperFix(env: NodeJS.ProcessEnv = process.env): string {
  const socket = privdSocket(env);
  return socket === DEFAULT_SOCKET
    ? 'start Nova\'s privileged helper: `systemctl enable --now nova-privd.socket` (installed with the package), or run `nova privd` in a root shell'
    : `start Nova's privileged helper on ${socket}: \`nova privd --socket ${socket}\` in a root shell`;
}

export function privdCall<V extends Verb>(verb: V, input: VerbInput<V>, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const socket = privdSocket(env);
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ verb, input })}\n`));
    sock.on('data', (d: string) => (buf += d));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        const def = VERBS[verb];
        const stricter = 'stricter' in def ? (def.stricter as (i: unknown) => VerbGroup | undefined)(input) : undefined;
        const group = stricter ?? def.group;
        const action = group ? POLKIT_ACTIONS[group] : undefined;
        const asks = action ? ` (it does ${verb} for you when polkit allows ${action})` : '';
        reject(new NovaError('PERMISSION', `Nova's privileged helper is not running (no ${socket})${asks}. Nothing was changed. To fix: ${startHelperFix(env)}.`, { fix: startHelperFix(env), socket, ...(action ? { action } : {}) }));
      } else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reject(closedEarly(socket));
      else reject(new NovaError('INTERNAL', `talking to nova privd on ${socket}: ${e.message}`));
    });
    sock.on('end', () => {
      let r: { ok: true; value: unknown } | { ok: false; error: NovaErrorData };
      try {
        r = JSON.parse(buf) as typeof r;
      } catch {
        reject(closedEarly(socket));
        return;
      }
      if (r.ok) resolve(r.value);
      else reject(NovaError.from(r.error));
    });
  });
}

const closedEarly = (socket: string) => new NovaError('INTERNAL', `nova privd on ${socket} closed the connection without an answer (it may have crashed: see its log); it converges half-made changes when it starts again`);
