// Text that reaches a terminal from outside Nova — VM and capsule names, guest serial output,
// capsule logs, NovaFile keys inside error messages — may carry control sequences: ESC/CSI
// (recolour, move the cursor, rewrite earlier lines), OSC 52 (write the clipboard), BEL, \r
// (overwrite a line), C1 controls, bidi overrides (reorder what is shown). Human output goes
// through here and shows them as visible escapes; --json output is never touched (exact).

// C0 except \t and \n, DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** The text with every control character made visible (`\x1b`, `\x07`, `\x0d`, `\u202e`); \n and \t stay. */
export function neutralize(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Human output: the only way the CLI writes text to stdout/stderr (raw exec streams aside). */
export const writeOut = (text: string): void => void process.stdout.write(neutralize(text));
export const writeErr = (text: string): void => void process.stderr.write(neutralize(text));

/**
 * Streams the user asked for byte for byte (`nova vm exec` output, an attached serial console):
 * like ssh, they go to the terminal unchanged.
 */
export const writeRawOut = (data: string): void => void process.stdout.write(data);
export const writeRawErr = (data: string): void => void process.stderr.write(data);
