// Worker thread entry: parses and validates one NovaFile text per message, off the event loop of
// the process that serves everyone else (`nova serve`, the app's main process).
import { parentPort } from 'node:worker_threads';
import { validationSummary } from './summary.js';
import { validateNovafileText } from './validate.js';

parentPort?.on('message', (msg: { text: string; file: string; summary: boolean }) => {
  try {
    const result = msg.summary ? validationSummary(msg.text, msg.file) : validateNovafileText(msg.text, msg.file);
    parentPort!.postMessage({ ok: true, result });
  } catch (e) {
    parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
