import { open } from 'node:fs/promises';

// Reads a pcap file's summary in TypeScript (no tshark): packet count and first/last timestamp.
// Tolerates a truncated last record (a capture still being written).

export interface PcapSummary {
  size: number;
  packets: number;
  first?: number; // ms since epoch
  last?: number;
}

export async function summarizePcap(path: string): Promise<PcapSummary> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size < 24) return { size, packets: 0 };
    const head = Buffer.alloc(24);
    await fh.read(head, 0, 24, 0);
    const magicLE = head.readUInt32LE(0);
    let le: boolean;
    let nano: boolean;
    if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) [le, nano] = [true, magicLE === 0xa1b23c4d];
    else if (head.readUInt32BE(0) === 0xa1b2c3d4 || head.readUInt32BE(0) === 0xa1b23c4d) [le, nano] = [false, head.readUInt32BE(0) === 0xa1b23c4d];
    else throw new Error(`${path} is not a pcap file`);
    const rec = Buffer.alloc(16);
    let pos = 24;
    let packets = 0;
    let first: number | undefined;
    let last: number | undefined;
    while (pos + 16 <= size) {
      await fh.read(rec, 0, 16, pos);
      const sec = le ? rec.readUInt32LE(0) : rec.readUInt32BE(0);
      const frac = le ? rec.readUInt32LE(4) : rec.readUInt32BE(4);
      const incl = le ? rec.readUInt32LE(8) : rec.readUInt32BE(8);
      if (pos + 16 + incl > size) break;
      const t = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
      first ??= t;
      last = t;
      packets++;
      pos += 16 + incl;
    }
    return { size, packets, ...(first !== undefined ? { first: Math.round(first), last: Math.round(last!) } : {}) };
  } finally {
    await fh.close();
  }
}
