import { isAbsolute, normalize } from 'node:path';
import { NovaError } from '../../shared/errors.js';

export interface SshTarget {
  user: string;
  address: string;
  port: number;
  /** The remote `nova serve --socket` path. */
  socket: string;
}

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
// A DNS name, an IPv4 address or a bracketed IPv6 address; never something ssh could read as an option.
const ADDRESS = /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63})*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

const bad = (why: string) => new NovaError('INVALID_INPUT', `url: ${why} (form: ssh://user@address[:port]/path/of/serve.sock)`, { field: 'url' });

/**
 * `ssh://user@address[:port][/socket/path]`. Without a path, root's default (/run/nova/serve.sock)
 * is assumed for root; any other user names it (its `nova serve --socket` prints the whole URL).
 */
export function parseSshUrl(url: string): SshTarget {
  const m = /^ssh:\/\/([^@/]+)@(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?(\/.*)?$/.exec(url);
  if (!m) throw bad(`"${url}" is not an ssh:// URL with a user`);
  const [, user = '', address = '', portText, path] = m;
  if (!USER.test(user)) throw bad(`user "${user}" is not a valid user name`);
  if (!ADDRESS.test(address)) throw bad(`address "${address}" is not a host name or IP address`);
  const port = portText ? Number(portText) : 22;
  if (port < 1 || port > 65535) throw bad(`port ${port} is outside 1-65535`);
  let socket = path ? decodeURIComponent(path) : user === 'root' ? '/run/nova/serve.sock' : '';
  if (!socket) throw bad(`no socket path: give where \`nova serve --socket\` listens on that host, e.g. ssh://${user}@${address}/run/user/1000/nova/serve.sock`);
  if (!isAbsolute(socket) || socket.includes('\0') || /[\s,]/.test(socket) || normalize(socket) !== socket) throw bad(`socket path "${socket}" must be a plain absolute path`);
  socket = normalize(socket);
  return { user, address: address.replace(/^\[|\]$/g, ''), port, socket };
}

/** The canonical URL of a target. */
export const sshUrlOf = (t: SshTarget): string =>
  `ssh://${t.user}@${t.address.includes(':') ? `[${t.address}]` : t.address}${t.port === 22 ? '' : `:${t.port}`}${t.socket}`;
