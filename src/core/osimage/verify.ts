// Checksums and signatures of downloaded OS images: the distro's checksum list (GNU or BSD
// lines, optionally clearsigned), a streamed hash of the file, and gpgv against a shipped keyring.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NovaError } from '../../shared/errors.js';
import type { Runner } from '../sys/runner.js';

/** The hash for `file` in a checksum list: `HASH  FILE`, `HASH *FILE` or `SHA256 (FILE) = HASH`. */
export function findChecksum(list: string, file: string, algorithm: 'sha256' | 'sha512'): string | undefined {
  const len = algorithm === 'sha256' ? 64 : 128;
  for (const raw of list.split('\n')) {
    const line = raw.trim();
    const gnu = /^([0-9a-fA-F]+)\s+\*?(.+)$/.exec(line);
    if (gnu && gnu[1]!.length === len && basename(gnu[2]!.trim()) === file) return gnu[1]!.toLowerCase();
    const bsd = /^(SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (bsd && bsd[1]!.toLowerCase() === algorithm && basename(bsd[2]!) === file && bsd[3]!.length === len) return bsd[3]!.toLowerCase();
  }
  return undefined;
}

export async function hashFile(path: string, algorithm: 'sha256' | 'sha512', signal?: AbortSignal): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Where the system's packages put distro keys: Debian/Ubuntu keyrings (debian-archive-keyring,
 * ubuntu-keyring: binary) and distribution-gpg-keys (Fedora's and others' keys, ASCII-armored,
 * one folder per distro: "fedora/RPM-GPG-KEY-fedora-41-primary").
 */
export const SYSTEM_KEY_DIRS = ['/usr/share/keyrings', '/usr/share/distribution-gpg-keys'];

/** A catalog keyring name: a file name, or one folder and a file name ("fedora/KEY"); never "..". */
const KEYRING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/** Where a keyring named in the catalog is: an absolute path, Nova's resources/keys, or the system's key folders. */
export function keyringPath(name: string, here = dirname(fileURLToPath(import.meta.url)), systemDirs = SYSTEM_KEY_DIRS): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  if (!KEYRING_NAME.test(name) || name.includes('..')) return undefined;
  let dir = here;
  for (let i = 0; i < 6; i++) {
    // The source tree (resources/keys) or a package (<resources>/keys next to cli/).
    for (const p of [join(dir, 'resources', 'keys', name), join(dir, 'keys', name)]) if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return systemDirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/**
 * gpgv (GnuPG 2.2) reads binary keyrings only: an ASCII-armored key file (distribution-gpg-keys
 * ships them so) is decoded to its binary packets. Undefined when the text is not armored.
 */
export function dearmor(text: string): Buffer | undefined {
  const m = /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/.exec(text);
  if (!m) return undefined;
  // Armor headers ("Version: …") end at the first empty line; the "=XXXX" line is the CRC-24.
  const lines = m[1]!.split(/\r?\n/);
  const blank = lines.findIndex((l) => l.trim() === '');
  const body = (lines.slice(0, blank).some((l) => /^[A-Za-z-]+: /.test(l)) ? lines.slice(blank + 1) : lines).filter((l) => l.trim() && !l.startsWith('='));
  return Buffer.from(body.join(''), 'base64');
}

/**
 * gpgv: `signature` over `data` (detached) or `data` itself clearsigned. Returns gpgv's line naming
 * the key; throws a NovaError when the signature is bad or made by a key not in the keyring.
 */
export async function gpgVerify(runner: Runner, keyring: string, data: Buffer, signature?: Buffer, dataPath?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nova-gpgv-'));
  try {
    const dataFile = dataPath ?? join(dir, 'data');
    if (!dataPath) await writeFile(dataFile, data);
    const head = await readFile(keyring, { encoding: 'latin1' }).then((t) => t.slice(0, 100_000));
    const binary = head.slice(0, 4096).includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') ? dearmor(head) : undefined;
    if (binary) await writeFile(join(dir, 'keyring.gpg'), binary);
    const argv = ['gpgv', '--keyring', binary ? join(dir, 'keyring.gpg') : keyring];
    if (signature) {
      await writeFile(join(dir, 'sig'), signature);
      argv.push(join(dir, 'sig'), dataFile);
    } else argv.push(dataFile);
    const r = await runner.run(argv, { allowFailure: true, timeoutMs: 600_000 });
    const out = `${r.stderr}\n${r.stdout}`;
    if (r.exitCode !== 0) {
      const why = out.split('\n').map((l) => l.replace(/^gpgv: /, '').trim()).filter(Boolean).slice(-2).join('; ');
      throw new NovaError('INVALID_INPUT', `signature check failed with keyring ${keyring}: ${why || `gpgv exit ${r.exitCode}`}; the download is not trusted`, { keyring });
    }
    return (/Good signature from "[^"]*"/.exec(out)?.[0] ?? 'good signature').trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text of a clearsigned message, without the armor (for finding the checksum in it). */
export const clearsignedBody = (text: string): string => {
  const start = text.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  const end = text.indexOf('-----BEGIN PGP SIGNATURE-----');
  if (start < 0 || end < 0) return text;
  return text.slice(start, end).split('\n').slice(1).join('\n').replace(/^- /gm, '');
};
