import { open } from 'node:fs/promises';

/**
 * The last `maxBytes` of a file, read from its end so big logs stay cheap; empty for a missing
 * or empty file. `whole`: the read began at the file's start (no partial first line).
 */
export async function readTail(path: string, maxBytes: number): Promise<{ bytes: Buffer; whole: boolean }> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return { bytes: Buffer.alloc(0), whole: true };
  try {
    const size = (await fh.stat()).size;
    const want = Math.min(size, maxBytes);
    const bytes = Buffer.alloc(want);
    const { bytesRead } = await fh.read(bytes, 0, want, size - want);
    return { bytes: bytes.subarray(0, bytesRead), whole: want === size };
  } finally {
    await fh.close();
  }
}
