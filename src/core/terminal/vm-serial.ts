import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { processState } from '../vm/state.js';
import { layoutOf, loadRecord } from '../vm/store.js';
import type { TerminalBackend, TerminalSink } from './sessions.js';

/**
 * A VM's serial console: the socket QEMU serves next to its serial log. QEMU takes one client
 * per socket, so the registry gives the line to the newest terminal.
 */
export async function openVmSerial(engine: EngineContext, name: string, sink: TerminalSink): Promise<TerminalBackend> {
  const rec = await loadRecord(engine.paths, name);
  const st = await processState(engine.paths, rec);
  if (st.state === 'stopped' || st.state === 'crashed') throw new NovaError('CONFLICT', `VM ${name} is ${st.state}; its serial console exists while it runs`, { state: st.state });
  const path = layoutOf(engine.paths, name).serialSocket;
  if (!existsSync(path)) throw new NovaError('CONFLICT', `VM ${name} was started without a serial socket (an older Nova); restart it to get a serial terminal`, { path });
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new NovaError('CONFLICT', `cannot reach the serial console of VM ${name}: ${e.message}`, { path })));
  });
  const decoder = new StringDecoder('utf8');
  sock.on('data', (b: Buffer) => sink.output(decoder.write(b)));
  sock.on('error', () => undefined);
  sock.on('close', () => sink.exit(`the serial console of VM ${name} closed`));
  return {
    write: (data) => void sock.write(data),
    resize: () => false,
    close: () => sock.destroy(),
  };
}
