// A small RFB 3.8 client for tests: security None, no framebuffer contents, only the clipboard —
// plain ClientCutText and the Extended Clipboard pseudo-encoding (0xC0A1E5CE) the way noVNC speaks
// it (notify → request → provide, text zlib-compressed with a 4-byte big-endian length) — and the
// desktop size: DesktopSize/ExtendedDesktopSize pseudo-rectangles and SetDesktopSize (what noVNC's
// resizeSession sends when its window changes size).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';

export const EXT_CLIPBOARD = -1063131698; // 0xC0A1E5CE as s32
const DESKTOP_SIZE = -223;
const EXT_DESKTOP_SIZE = -308;
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
  /** The framebuffer size the server last announced (ServerInit, then DesktopSize updates). */
  readonly size: { width: number; height: number };
  /** Every size the server announced, in order (ServerInit first). */
  readonly sizes: { width: number; height: number }[];
  /** Status of the server's answers to setDesktopSize (ExtendedDesktopSize y: 0 ok, 1 prohibited, 3 invalid layout, 4 forwarded to the guest). */
  readonly resizeAnswers: number[];
  /** SetDesktopSize with one screen (the server must have announced ExtendedDesktopSize). */
  setDesktopSize(width: number, height: number): void;
  /** Waits until the announced size is width x height. */
  waitSize(width: number, height: number, timeoutMs: number): Promise<void>;
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
  const size = { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  const bytesPerPixel = init.readUInt8(4) / 8;
  await read(init.readUInt32BE(20)); // desktop name
  const encodings = [0, EXT_CLIPBOARD, DESKTOP_SIZE, EXT_DESKTOP_SIZE]; // raw first
  const enc = Buffer.alloc(4 + 4 * encodings.length);
  enc.writeUInt8(2, 0);
  enc.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => enc.writeInt32BE(e, 4 + 4 * i));
  sock.write(enc);
  const resizeAnswers: number[] = [];
  const sizes = [{ ...size }];
  let screenId = 0;
  let resized: (() => void) | undefined;
  // One FramebufferUpdate: pseudo-rectangles for the size; raw pixels (never requested) skipped.
  const update = async () => {
    const rects = (await read(3)).readUInt16BE(1);
    for (let i = 0; i < rects; i++) {
      const r = await read(12);
      const [x, y, w, h, e] = [r.readUInt16BE(0), r.readUInt16BE(2), r.readUInt16BE(4), r.readUInt16BE(6), r.readInt32BE(8)];
      if (e === 0) await read(w * h * bytesPerPixel);
      else if (e === DESKTOP_SIZE || e === EXT_DESKTOP_SIZE) {
        if (e === EXT_DESKTOP_SIZE) {
          const screens = (await read(4)).readUInt8(0);
          const first = screens ? await read(16 * screens) : undefined;
          if (first) screenId = first.readUInt32BE(0);
          if (x === 1) resizeAnswers.push(y); // x = 1: the answer to this client's request
        }
        Object.assign(size, { width: w, height: h });
        sizes.push({ width: w, height: h });
        resized?.();
      } else throw new Error(`unexpected RFB encoding ${e} in a framebuffer update`);
    }
  };

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
      if (type === 0) {
        await update();
        continue;
      }
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
    size,
    sizes,
    resizeAnswers,
    setDesktopSize(width, height) {
      const m = Buffer.alloc(8 + 16);
      m.writeUInt8(251, 0);
      m.writeUInt16BE(width, 2);
      m.writeUInt16BE(height, 4);
      m.writeUInt8(1, 6); // one screen: id, x, y, width, height, flags
      m.writeUInt32BE(screenId, 8);
      m.writeUInt16BE(width, 16);
      m.writeUInt16BE(height, 18);
      sock.write(m);
    },
    async waitSize(width, height, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (size.width !== width || size.height !== height) {
        if (failed) throw failed;
        if (Date.now() > deadline) throw new Error(`the VNC server still announces ${size.width}x${size.height}, not ${width}x${height}, after ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          resized = r;
          setTimeout(r, 200);
        });
      }
    },
    close() {
      sock.destroy();
    },
  };
}
