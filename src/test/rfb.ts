// A small RFB 3.8 client for tests: security None, no framebuffer, only the clipboard — plain
// ClientCutText and the Extended Clipboard pseudo-encoding (0xC0A1E5CE) the way noVNC speaks it
// (notify → request → provide, text zlib-compressed with a 4-byte big-endian length).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';

export const EXT_CLIPBOARD = -1063131698; // 0xC0A1E5CE as s32
const F = { text: 1, caps: 1 << 24, request: 1 << 25, peek: 1 << 26, notify: 1 << 27, provide: 1 << 28 } as const;

export interface RfbClipboardClient {
  /** The server announced the extended clipboard (its caps message arrived). */
  readonly extended: boolean;
  /** Offers text the extended way (notify; the server's request gets it). */
  copy(text: string): void;
  /** Plain ClientCutText (Latin-1). */
  copyPlain(text: string): void;
  /** The next text the server provides (after its notify, this client requests it). */
  nextPaste(timeoutMs: number): Promise<string>;
  close(): void;
}

/** Connects to a VNC server (a unix socket path or host:port) and completes the handshake. */
export async function rfbConnect(address: string): Promise<RfbClipboardClient> {
  const sock: Socket = address.startsWith('/') ? connect(address) : connect(Number(address.split(':')[1]), address.split(':')[0]);
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let failed: Error | undefined;
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  sock.on('error', (e) => {
    failed = e;
    wake?.();
  });
  const read = async (n: number): Promise<Buffer> => {
    while (buf.length < n) {
      if (failed) throw failed;
      await new Promise<void>((r) => (wake = r));
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
  const version = (await read(12)).toString();
  if (!/^RFB 003\.00[78]\n$/.test(version)) throw new Error(`not an RFB 3.7/3.8 server: ${JSON.stringify(version)}`);
  sock.write('RFB 003.008\n');
  const types = await read((await read(1))[0]!);
  if (!types.includes(1)) throw new Error(`server offers no security None: ${[...types].join(',')}`);
  sock.write(Buffer.from([1]));
  if ((await read(4)).readUInt32BE(0) !== 0) throw new Error('security handshake failed');
  sock.write(Buffer.from([1])); // ClientInit, shared
  const init = await read(24);
  await read(init.readUInt32BE(20)); // desktop name
  const enc = Buffer.alloc(4 + 8);
  enc.writeUInt8(2, 0);
  enc.writeUInt16BE(2, 2);
  enc.writeInt32BE(0, 4); // raw
  enc.writeInt32BE(EXT_CLIPBOARD, 8);
  sock.write(enc);

  let extended = false;
  let offered = '';
  const pastes: string[] = [];
  let pasted: (() => void) | undefined;
  const sendExt = (flags: number, payload = Buffer.alloc(0)) => {
    const h = Buffer.alloc(12);
    h.writeUInt8(6, 0); // ClientCutText
    h.writeInt32BE(-(4 + payload.length), 4);
    h.writeUInt32BE(flags >>> 0, 8);
    sock.write(Buffer.concat([h, payload]));
  };
  // Server messages: only cut text and bells are expected (no framebuffer is ever requested).
  void (async () => {
    for (;;) {
      const type = (await read(1))[0];
      if (type === 2) continue; // bell
      if (type !== 3) throw new Error(`unexpected RFB server message ${type}`);
      await read(3);
      const len = (await read(4)).readInt32BE(0);
      if (len >= 0) {
        pastes.push((await read(len)).toString('latin1'));
        pasted?.();
        continue;
      }
      const body = await read(-len);
      const flags = body.readUInt32BE(0);
      if (flags & F.caps) extended = true;
      else if (flags & F.notify && flags & F.text) sendExt(F.request | F.text);
      else if (flags & F.request && flags & F.text) {
        const text = Buffer.from(offered, 'utf8');
        const raw = Buffer.alloc(4 + text.length);
        raw.writeUInt32BE(text.length, 0);
        text.copy(raw, 4);
        sendExt(F.provide | F.text, deflateSync(raw));
      } else if (flags & F.provide && flags & F.text) {
        const raw = inflateSync(body.subarray(4));
        pastes.push(raw.subarray(4, 4 + raw.readUInt32BE(0)).toString('utf8').replace(/\0$/, ''));
        pasted?.();
      }
    }
  })().catch(() => undefined);

  return {
    get extended() {
      return extended;
    },
    copy(text) {
      offered = text;
      sendExt(F.notify | F.text);
    },
    copyPlain(text) {
      const t = Buffer.from(text, 'latin1');
      const h = Buffer.alloc(8);
      h.writeUInt8(6, 0);
      h.writeInt32BE(t.length, 4);
      sock.write(Buffer.concat([h, t]));
    },
    async nextPaste(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pastes.length) {
        if (failed) throw failed;
        if (Date.now() > deadline) throw new Error(`no clipboard text from the VNC server within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          pasted = r;
          setTimeout(r, 200);
        });
      }
      return pastes.shift()!;
    },
    close() {
      sock.destroy();
    },
  };
}
