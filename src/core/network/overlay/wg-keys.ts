import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../sys/atomic.js';
import type { NetCtx } from '../context.js';

// This host's WireGuard key: one X25519 key pair per Nova state (every wireguard overlay of this
// host uses it, so peers list one public key per host). The private key lives in a 0600 file in
// a 0700 folder and reaches `wg` only as that file's path, never on a command line or in a log.

export const WG_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export const keyDir = (ctx: NetCtx) => join(ctx.stateDir, 'keys');
export const privateKeyFile = (ctx: NetCtx) => join(keyDir(ctx), 'wireguard.key');

const b64 = (u: string) => Buffer.from(u, 'base64url').toString('base64');

/** The public key of a base64 private key (X25519, as `wg pubkey` computes it). */
export function publicKeyOf(privateB64: string): string {
  const d = Buffer.from(privateB64, 'base64').toString('base64url');
  // Node derives x from d; WireGuard clamps d the same way X25519 does.
  const pub = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' }));
  return b64(pub.export({ format: 'jwk' }).x!);
}

/** Reads this host's key, creating it (0600) on first use; returns the public key. */
export async function ensureHostKey(ctx: NetCtx): Promise<string> {
  const file = privateKeyFile(ctx);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing && WG_KEY.test(existing.trim())) {
    await chmod(file, 0o600);
    return publicKeyOf(existing.trim());
  }
  await mkdir(keyDir(ctx), { recursive: true, mode: 0o700 });
  await chmod(keyDir(ctx), 0o700);
  const { privateKey } = generateKeyPairSync('x25519');
  const priv = b64(privateKey.export({ format: 'jwk' }).d!);
  await writeFileAtomic(file, `${priv}\n`, { mode: 0o600 });
  return publicKeyOf(priv);
}

/** The public key when the key exists (status, never creates one). */
export async function hostPublicKey(ctx: NetCtx): Promise<string | undefined> {
  const k = (await readFile(privateKeyFile(ctx), 'utf8').catch(() => '')).trim();
  return WG_KEY.test(k) ? publicKeyOf(k) : undefined;
}

/**
 * The address inside the tunnel of the host whose public key is `pub`: IPv6 ULA, the /64 from
 * the overlay's VNI (the same on every host of the overlay), the interface id from the key. No
 * coordination is needed: every host computes every peer's address from its key.
 */
export function tunnelAddress(vni: number, pub: string): string {
  const net = createHash('sha256').update(`nova-wireguard/${vni}`).digest();
  const host = createHash('sha256').update(Buffer.from(pub, 'base64')).digest();
  const words = [0xfd00 | net[0]!, (net[1]! << 8) | net[2]!, (net[3]! << 8) | net[4]!, 0];
  for (let i = 0; i < 4; i++) words.push((host[2 * i]! << 8) | host[2 * i + 1]!);
  return words.map((w) => w.toString(16)).join(':');
}
