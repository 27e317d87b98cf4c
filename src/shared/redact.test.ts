import { describe, expect, it } from 'vitest';
import { redact, redactText, REDACTED } from './redact.js';

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
