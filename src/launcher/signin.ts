// How the browser window signs in without the token ever being on a command line: the launcher
// (a token holder) asks `nova serve` for a one-time code and writes a tiny page that forwards to
// /session?code=… into its private folder (0700, page 0600). Chromium is started on that page's
// file path; the server trades the code once for an HttpOnly SameSite=Strict session cookie.
// /proc/PID/cmdline of every process shows a file path other users cannot open, nothing more.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A fresh one-time code (valid once, for a minute) from the server, paid for with the token. */
export async function requestSignInCode(server: string, token: string): Promise<string> {
  const res = await fetch(`${server}/session/code`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`\`nova serve\` refused a sign-in code (HTTP ${res.status})`);
  const { code } = (await res.json()) as { code?: unknown };
  if (typeof code !== 'string' || !code) throw new Error('`nova serve` answered without a sign-in code');
  return code;
}

/** The page's HTML: forwards to the redemption URL at once, leaving no history entry behind. */
export function signInPage(server: string, code: string): string {
  const target = `${server}/session?code=${encodeURIComponent(code)}`;
  // JSON.stringify quotes the URL for the script; `<` is escaped so nothing can close the tag.
  const literal = JSON.stringify(target).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    '<title>Nova</title>',
    `<script>location.replace(${literal})</script>`,
    '<p>Signing in to Nova…</p>',
    '',
  ].join('\n');
}

/** Writes the page into the launcher's private folder; returns the file: URL for `--app=`. */
export async function writeSignInPage(dir: string, server: string, code: string): Promise<string> {
  const file = join(dir, 'sign-in.html');
  await writeFile(file, signInPage(server, code), { mode: 0o600 });
  return pathToFileURL(file).href;
}
