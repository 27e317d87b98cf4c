import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizePcap } from './pcap.js';

function pcap(records: [number, number, number][], opts: { be?: boolean; nano?: boolean; truncate?: number } = {}): Buffer {
  const head = Buffer.alloc(24);
  const w = (b: Buffer, v: number, o: number) => (opts.be ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  w(head, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  const parts = [head];
  for (const [sec, frac, len] of records) {
    const h = Buffer.alloc(16);
    w(h, sec, 0);
    w(h, frac, 4);
    w(h, len, 8);
    w(h, len, 12);
    parts.push(h, Buffer.alloc(len));
  }
  const all = Buffer.concat(parts);
  return opts.truncate ? all.subarray(0, all.length - opts.truncate) : all;
}

describe('pcap summary', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts packets and reads first/last times in both byte orders and precisions', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nvpcap-'));
    const f = join(dir, 'a.pcap');
    await writeFile(f, pcap([[1000, 500_000, 60], [1001, 0, 98], [1002, 250_000, 42]]));
    expect(await summarizePcap(f)).toEqual({ size: 24 + 3 * 16 + 200, packets: 3, first: 1_000_500, last: 1_002_250 });
    await writeFile(f, pcap([[1000, 500_000_000, 60]], { be: true, nano: true }));
    expect(await summarizePcap(f)).toMatchObject({ packets: 1, first: 1_000_500 });
  });

  it('ignores a half-written last record and rejects non-pcap files', async () => {
    const f = join(dir, 'b.pcap');
    await writeFile(f, pcap([[5, 0, 60], [6, 0, 60]], { truncate: 10 }));
    expect(await summarizePcap(f)).toMatchObject({ packets: 1, first: 5000, last: 5000 });
    await writeFile(f, 'not a capture at all, certainly not');
    await expect(summarizePcap(f)).rejects.toThrow(/not a pcap/);
  });
});
