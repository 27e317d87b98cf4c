// `nova console vm NAME --serial`: the VM's serial console on this terminal, like `virsh console`.
// It is a terminal session of the engine (terminal.open), so the app's terminal and this one hand
// the line to each other. Ctrl-] leaves; the VM keeps running.
import type { CliContext } from './context.js';
import { writeErr, writeRawOut } from './terminal.js';

const ESCAPE = '\x1d'; // Ctrl-]

/** Resolves when the user leaves (0) or the console goes away (1, with the reason on stderr). */
export async function attachSerial(ctx: CliContext, name: string): Promise<number> {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  const { id } = await ctx.call('terminal.open', { target: { kind: 'vm', name }, cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 });
  writeErr(`Connected to the serial console of ${name}. Leave with Ctrl-]\n`);
  return new Promise<number>((resolve) => {
    const offs = [
      ctx.engine.bus.on('terminal.output', (e) => e.id === id && writeRawOut(e.data)),
      ctx.engine.bus.on('terminal.exit', (e) => e.id === id && finish(1, e.reason)),
    ];
    const onData = (b: Buffer) => {
      const text = b.toString('utf8');
      const at = text.indexOf(ESCAPE);
      const send = at >= 0 ? text.slice(0, at) : text;
      if (send) void ctx.call('terminal.input', { id, data: send }).catch(() => undefined);
      if (at >= 0) finish(0);
    };
    let done = false;
    const finish = (code: number, reason?: string) => {
      if (done) return;
      done = true;
      for (const off of offs) off();
      stdin.off('data', onData);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      writeErr(`\n${reason ? `${reason}\n` : `Left the serial console of ${name} (the VM keeps running).\n`}`);
      void ctx.call('terminal.close', { id }).catch(() => undefined).then(() => resolve(code));
    };
    if (tty) stdin.setRawMode(true); // keys go to the guest as typed; the guest's tty echoes them
    stdin.on('data', onData);
    stdin.once('end', () => finish(0));
    stdin.resume();
  });
}
