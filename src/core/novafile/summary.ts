import type { Output } from '../../shared/contract.js';
import { redact } from '../../shared/redact.js';
import { validateNovafileText } from './validate.js';

/** Above this, `novafile.validate` answers without echoing the normalized file (it would cost
 *  the server more to copy and send than the check itself). */
export const ECHO_LIMIT_BYTES = 1024 * 1024;
export const MAX_REPORTED_ERRORS = 1000;

/** The whole answer of `novafile.validate`, computed where the validation ran (a worker). */
export function validationSummary(text: string, file: string): Output<'novafile.validate'> {
  const { novafile, errors } = validateNovafileText(text, file);
  const counts = {
    vm: Object.keys(novafile?.vm ?? {}).length,
    container: Object.keys(novafile?.container ?? {}).length,
    network: Object.keys(novafile?.network ?? {}).length,
  };
  return {
    valid: errors.length === 0,
    file,
    ...(novafile?.project ? { project: novafile.project } : {}),
    counts,
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
    ...(novafile && text.length <= ECHO_LIMIT_BYTES ? { novafile: redact(novafile) } : {}),
  };
}
