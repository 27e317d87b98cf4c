// Secrets never leave Nova in clear text: every log line, bundle and --json output passes here.
export const REDACTED = '«redacted»';

const SECRET_KEY = /(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)/i;

/** True when a key name looks like it holds a secret. */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key);

/**
 * Deep-copies a value with secrets replaced. Every value under an `env` object is a secret
 * (NovaFile env.* values), as is any value whose key looks like a secret.
 */
export function redact<T>(value: T, underEnv = false): T {
  if (Array.isArray(value)) return value.map((v) => redact(v, underEnv)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (underEnv || isSecretKey(k)) out[k] = v === null || typeof v === 'object' ? redact(v, true) : REDACTED;
      else out[k] = redact(v, k === 'env');
    }
    return out as T;
  }
  return value;
}

/** Redacts KEY=VALUE pairs and bearer tokens inside free text (logs, argv, stderr). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  out = out.replace(/\b([A-Za-z0-9_]*(?:PASS(?:WORD)?|SECRET|TOKEN|API_?KEY)[A-Za-z0-9_]*)=(\S+)/gi, `$1=${REDACTED}`);
  out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`);
  out = out.replace(/([?&]token=)[^&\s]+/g, `$1${REDACTED}`);
  return out;
}
