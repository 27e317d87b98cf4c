import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../shared/redact.js';
import { collectSecrets, scrubJson, scrubText } from './scrub.js';
import type { Scrubber } from './scrub.js';

const scrubber = (secrets: string[] = [], keys: string[] = []): Scrubber => ({ secrets: new Set(secrets), keys: new Set(keys), mask: false, hostnames: [] });

describe('scrubJson parses, never regexes JSON text', () => {
  it('scrubJson({env:["API_KEY=abcd1234"]}) works and hides the value', () => {
    expect(scrubJson({ env: ['API_KEY=abcd1234'] }, scrubber())).toEqual({ env: [`API_KEY=${REDACTED}`] });
  });

  it('any env name, any length, in structures and in strings elsewhere', () => {
    const secrets = collectSecrets({ spec: { env: { PIN: 'x9z', WEIRD_NAME: 'v"al\\ue' } } }, new Set(), false, new Set());
    expect([...secrets]).toEqual(['x9z', 'v"al\\ue']);
    const out = scrubJson({ argv: ['run', '--env', 'PIN=x9z'], note: 'value v"al\\ue here', env: { PIN: 'x9z' } }, scrubber([...secrets], ['PIN']));
    expect(JSON.stringify(out)).not.toMatch(/x9z|v\\"al/);
    expect(out).toMatchObject({ env: { PIN: REDACTED }, argv: ['run', '--env', `PIN=${REDACTED}`] });
  });

  it('the launcher record of a running app (#token= in a URL) scrubs without breaking', () => {
    const rec = { pid: 1, url: 'http://127.0.0.1:4000/#token=abcdefgh', browserArgs: ['--app=http://127.0.0.1:4000/#token=abcdefgh'] };
    expect(JSON.stringify(scrubJson(rec, scrubber()))).not.toContain('abcdefgh');
  });

  it('free text: a short secret after = is gone', () => {
    expect(scrubText('PIN=x9z', scrubber(['x9z']))).toBe(`PIN=${REDACTED}`);
  });
});
