import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import type { Server } from 'node:http';
import { dirname, isAbsolute, join } from 'node:path';
import { NovaError } from '../shared/errors.js';
import { writeFileAtomic } from '../core/sys/atomic.js';
import type { NovaPaths } from '../core/sys/paths.js';

// `nova serve --socket`: the API on a 0600 unix socket in a 0700 folder, for other Nova hosts
// that reach it through an SSH forward (no TCP port opened). The token is still required on it.
// Beside it, `<socket>.token` hands the token to whoever can connect — which, with the same
// 0600/0700 modes, is exactly who can read the 0600 token file: the user (and root). A remote
// Nova reads it through a second SSH forward, so no remote command and no login shell run.

export const defaultSocketPath = (paths: NovaPaths): string => join(paths.runtime, 'serve.sock');
export const tokenFilePath = (paths: NovaPaths): string => join(paths.config, 'serve.token');
export const tokenSocketPath = (socket: string): string => `${socket}.token`;

/** The persistent token of a socket-serving `nova serve` (created 0600 on first use). */
export async function persistentToken(paths: NovaPaths): Promise<string> {
  const file = tokenFilePath(paths);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) throw new NovaError('PERMISSION', `${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``);
    if (existing.trim()) return existing.trim();
  }
  const token = randomBytes(24).toString('base64url');
  await writeFileAtomic(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The folder must be ours and closed to others, so nobody can swap or reach the socket. */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  const uid = process.getuid?.() ?? st.uid;
  if (st.uid !== uid) throw new NovaError('PERMISSION', `--socket: ${dir} belongs to uid ${st.uid}, not to this user: pick a folder of your own`);
  if ((st.mode & 0o077) !== 0) throw new NovaError('PERMISSION', `--socket: ${dir} is open to others (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 700 ${dir}\` or pick another folder`);
}

/** A socket file left by a server that is gone is removed; one that answers means a server runs. */
async function clearStale(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new NovaError('CONFLICT', `--socket: ${path} exists and is not a socket: remove it or pick another path`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
  if (live) throw new NovaError('CONFLICT', `--socket: another nova serve already listens on ${path}: stop it first`);
  await rm(path, { force: true });
}

const listenOn = (server: Server | NetServer, path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });

export interface UnixListeners {
  socket: string;
  close(): Promise<void>;
}

/** Listens with `http` on `socket` (0600) and hands out the token on `<socket>.token` (0600). */
export async function listenUnix(http: Server, socket: string, token: string): Promise<UnixListeners> {
  if (!isAbsolute(socket)) throw new NovaError('INVALID_INPUT', `--socket: "${socket}" must be an absolute path`, { field: 'socket' });
  if (Buffer.byteLength(socket) > 100) throw new NovaError('INVALID_INPUT', `--socket: "${socket}" is longer than a unix socket path may be (100 bytes): pick a shorter path`, { field: 'socket' });
  await privateDir(dirname(socket));
  const tokenPath = tokenSocketPath(socket);
  await clearStale(socket);
  await clearStale(tokenPath);
  const tokens = createServer((s) => {
    s.on('error', () => s.destroy());
    s.end(`${token}\n`);
  });
  await listenOn(http, socket);
  await listenOn(tokens, tokenPath);
  await Promise.all([chmod(socket, 0o600), chmod(tokenPath, 0o600)]);
  return {
    socket,
    close: async () => {
      await new Promise<void>((resolve) => tokens.close(() => resolve()));
      await rm(tokenPath, { force: true });
    },
  };
}
