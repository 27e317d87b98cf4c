import { describe, expect, it } from 'vitest';
import { isSecretKey, redact, redactText, REDACTED } from './redact.js';

describe('redaction', () => {
  it('hides every env value and secret-looking keys, deeply, without touching the input', () => {
    const input = { container: { api: { env: { API_KEY: 'secret', MODE: 'dev' }, capsule: 'ubuntu:22.04' } }, token: 'abc', name: 'x' };
    const out = redact(input);
    expect(out.container.api.env).toEqual({ API_KEY: REDACTED, MODE: REDACTED });
    expect(out.token).toBe(REDACTED);
    expect(out.container.api.capsule).toBe('ubuntu:22.04');
    expect(input.container.api.env.API_KEY).toBe('secret');
  });

  it('hides KEY=VALUE secrets, bearer tokens and known values in free text', () => {
    const t = redactText('run -e API_KEY=hunter2 -e MODE=dev Authorization: Bearer abc.def ws://x/rpc?token=zzz pw s3cr3tvalue', ['s3cr3tvalue']);
    expect(t).not.toMatch(/hunter2|abc\.def|zzz|s3cr3tvalue/);
    expect(t).toContain('MODE=dev');
  });
});

describe('secret-looking keys', () => {
  it('"pass" as a word is a secret, as the start of another word it is not (gpu_passthrough stays)', () => {
    for (const k of ['password', 'DB_PASS', 'pass', 'passwd', 'SSH_PASSPHRASE', 'smtpPassword', 'pass_file']) expect(isSecretKey(k), k).toBe(true);
    for (const k of ['gpu_passthrough', 'passthrough', 'PassThrough']) expect(isSecretKey(k), k).toBe(false);
    expect(redact({ vm: { spec: { gpu_passthrough: true, password: 'x' } } })).toEqual({ vm: { spec: { gpu_passthrough: true, password: REDACTED } } });
  });
});

describe('redaction of every length, by structure', () => {
  it('env lists of KEY=VALUE keep their names and lose their values', () => {
    expect(redact({ process: { env: ['API_KEY=abcd1234', 'PIN=x9z', 'PATH=/bin'] } })).toEqual({ process: { env: [`API_KEY=${REDACTED}`, `PIN=${REDACTED}`, `PATH=${REDACTED}`] } });
  });

  it('a 3-character secret is redacted where it stands as a value, ordinary text stays', () => {
    const t = redactText('PIN=x9z\nlogin pin: x9z ok\nx9z\nthe x9zebra stays', ['x9z']);
    expect(t).toBe(`PIN=${REDACTED}\nlogin pin: ${REDACTED} ok\n${REDACTED}\nthe x9zebra stays`);
    // Names known to hold secrets are redacted whatever their value.
    expect(redactText('export PIN=1 MODE=dev', [], ['PIN'])).toBe(`export PIN=${REDACTED} MODE=dev`);
  });

  it('a KEY=VALUE inside quotes does not swallow the quotes', () => {
    expect(redactText('{"env":["API_KEY=abcd1234"]}')).toBe(`{"env":["API_KEY=${REDACTED}"]}`);
    expect(redactText('open http://127.0.0.1:1/#token=abc"')).toBe(`open http://127.0.0.1:1/#token=${REDACTED}"`);
  });
});
