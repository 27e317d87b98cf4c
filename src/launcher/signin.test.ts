import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signInPage, writeSignInPage } from './signin.js';

describe('the sign-in page the launcher opens', () => {
  it('forwards to /session with the code and nothing else', () => {
    const html = signInPage('http://127.0.0.1:5000', 'abc-_1');
    expect(html).toContain('location.replace("http://127.0.0.1:5000/session?code=abc-_1")');
    expect(html).toContain('<meta name="referrer" content="no-referrer">');
  });
  it('cannot be broken out of by what it embeds', () => {
    const html = signInPage('http://127.0.0.1:5000', '</script><script>alert(1)');
    expect(html).not.toContain('</script><script>');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
  it('is written private (0600) and named by a file: URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nova-signin-'));
    try {
      const url = await writeSignInPage(dir, 'http://127.0.0.1:5000', 'c0de');
      expect(url.startsWith('file://')).toBe(true);
      const file = fileURLToPath(url);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toContain('code=c0de');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
