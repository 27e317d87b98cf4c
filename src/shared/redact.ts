// Secrets never leave Nova in clear text: every log line, bundle and --json output passes here.
export const REDACTED = '«redacted»';

// "pass" as a word of the key (DB_PASS, password, passwd, passphrase), not a prefix of another
// word: gpu_passthrough is a setting, not a secret.
const SECRET_KEY = /(pass(word|wd|phrase)?(?![a-z])|secret|token|api[_-]?key|private[_-]?key|credential|auth)/i;

/** True when a key name looks like it holds a secret. */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key);

/**
 * Deep-copies a value with secrets replaced. Every value under an `env` object is a secret
 * (NovaFile env.* values), as is any value whose key looks like a secret. Env given as a list of
 * `KEY=VALUE` strings (OCI specs, `--env`) keeps its keys and loses its values.
 */
export function redact<T>(value: T, underEnv = false): T {
  if (Array.isArray(value)) return value.map((v) => redact(v, underEnv)) as T;
  if (underEnv && typeof value === 'string') return redactAssignment(value) as T;
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

/** "KEY=value" → "KEY=«redacted»"; anything else under env → «redacted». */
const redactAssignment = (s: string): string => {
  const eq = s.indexOf('=');
  return eq > 0 && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s.slice(0, eq)) ? `${s.slice(0, eq)}=${REDACTED}` : REDACTED;
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Where a value ends in free text: whitespace, quotes, separators.
const VALUE = `("[^"\\n]*"|'[^'\\n]*'|[^\\s"',;&]+)`;
/** `KEY = "v"` → `KEY = "«redacted»"`: quotes stay, so TOML and shell lines keep their shape. */
const keepQuotes = (_m: string, pre: string, v: string) => (v[0] === '"' || v[0] === "'" ? `${pre}${v[0]}${REDACTED}${v[0]}` : `${pre}${REDACTED}`);
const END = `(?=$|[\\s"',;&])`;

/**
 * Redacts secrets inside free text (logs, argv, stderr): known secret values, KEY=VALUE pairs of
 * secret-looking or known secret keys, and bearer tokens. Values of 4+ characters are replaced
 * wherever they appear; shorter ones (a 3-digit PIN) only where they stand as a whole value after
 * `=` or `:` or alone on a line, so short secrets never leak and ordinary text stays readable.
 */
export function redactText(text: string, secrets: readonly string[] = [], keys: readonly string[] = []): string {
  let out = text;
  const ordered = [...new Set(secrets)].filter(Boolean).sort((a, b) => b.length - a.length);
  for (const s of ordered) {
    if (s.length >= 4) out = out.split(s).join(REDACTED);
    else out = out.replace(new RegExp(`([=:]\\s*["']?)${escapeRe(s)}${END}|^${escapeRe(s)}$`, 'gm'), (_m, pre?: string) => `${pre ?? ''}${REDACTED}`);
  }
  for (const k of keys) out = out.replace(new RegExp(`(\\b${escapeRe(k)}\\s*[=:]\\s*)${VALUE}`, 'g'), keepQuotes);
  out = out.replace(new RegExp(`(\\b[A-Za-z0-9_]*(?:PASS(?:WORD)?|SECRET|TOKEN|API_?KEY)[A-Za-z0-9_]*=)${VALUE}`, 'gi'), keepQuotes);
  out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`);
  out = out.replace(/([?&#]token=)[^&\s"']+/g, `$1${REDACTED}`);
  return out;
}
