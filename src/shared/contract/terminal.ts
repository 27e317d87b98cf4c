import { z } from 'zod';
import { resourceName } from '../names.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Interactive terminals for the app and the browser (xterm.js): a shell in a running capsule
// (`exec -it`) or a VM's serial console. Output and the end come back as `terminal.output` and
// `terminal.exit` events carrying the session id, sent only to the client (connection) that opened
// it; input, resizes and closing are calls that only that client may make.

const size = { cols: lazy(() => z.number().int().min(1).max(1000)), rows: lazy(() => z.number().int().min(1).max(1000)) };
const sessionId = lazy(() => z.string().regex(/^[A-Za-z0-9_-]{8,64}$/));

export const terminalTarget = lazy(() => z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('capsule'),
      name: resourceName,
      command: z.array(z.string()).min(1).default(['sh']),
      user: z.string().regex(/^\d+(:\d+)?$/, 'write a numeric user like "1000" or "1000:1000"').optional(),
      workdir: z.string().startsWith('/').optional(),
    })
    .strict(),
  z.object({ kind: z.literal('vm'), name: resourceName }).strict(),
]));

export const terminalProcedures = {
  'terminal.open': procedure({
    summary: 'Open a terminal: a command on a new pty in a running capsule, or a VM serial console (output comes as terminal.output events)',
    input: lazy(() => z.object({ target: terminalTarget, ...size }).strict()),
    output: lazy(() => z.object({ id: sessionId, title: z.string() })),
  }),
  'terminal.input': procedure({
    summary: 'Type into an open terminal',
    input: lazy(() => z.object({ id: sessionId, data: z.string().max(65_536) }).strict()),
    output: lazy(() => z.object({ id: sessionId })),
  }),
  'terminal.resize': procedure({
    summary: 'Tell an open terminal its new size (a serial console has none and ignores it)',
    input: lazy(() => z.object({ id: sessionId, ...size }).strict()),
    output: lazy(() => z.object({ id: sessionId, applied: z.boolean() })),
  }),
  'terminal.close': procedure({
    summary: 'Hang up an open terminal (its command gets SIGHUP; a serial console just disconnects)',
    input: lazy(() => z.object({ id: sessionId }).strict()),
    output: lazy(() => z.object({ id: sessionId, closed: z.boolean() })),
  }),
};

export const terminalEvents = {
  'terminal.output': lazy(() => z.object({ id: sessionId, data: z.string() })),
  'terminal.exit': lazy(() => z.object({ id: sessionId, exitCode: z.number().optional(), reason: z.string() })),
};
