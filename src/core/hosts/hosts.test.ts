import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, parseKeyscan } from './keys.js';
import { explainSshFailure, forwardArgv } from './ssh.js';
import { parseSshUrl, sshUrlOf } from './url.js';

describe('ssh:// host URLs', () => {
  it('parses user, address, port and the remote socket path', () => {
    expect(parseSshUrl('ssh://nova@10.0.0.2:2222/run/user/1000/nova/serve.sock')).toEqual({ user: 'nova', address: '10.0.0.2', port: 2222, socket: '/run/user/1000/nova/serve.sock' });
    expect(parseSshUrl('ssh://root@box.lan')).toMatchObject({ port: 22, socket: '/run/nova/serve.sock' });
    expect(parseSshUrl('ssh://me@[fd00::2]/s.sock')).toMatchObject({ address: 'fd00::2' });
    expect(sshUrlOf(parseSshUrl('ssh://me@[fd00::2]:22/s.sock'))).toBe('ssh://me@[fd00::2]/s.sock');
  });

  it.each([
    ['ssh://10.0.0.2/x.sock', 'with a user'],
    ['ssh://me@-oProxyCommand=x/x.sock', 'not a host name'],
    ['ssh://me@box:99999/x.sock', 'outside'],
    ['ssh://me@box', 'no socket path'],
    ['ssh://me@box/a/../b.sock', 'plain absolute'],
    ['ssh://-l@box/x.sock', 'not a valid user'],
  ])('refuses %s naming the field and the fix', (url, why) => {
    expect(() => parseSshUrl(url)).toThrow(why);
  });
});

describe('host keys', () => {
  it('fingerprints keys exactly as ssh-keygen -lf does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nho-key-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const [type, blob] = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ');
      const expected = execFileSync('ssh-keygen', ['-lf', join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
      expect(fingerprintOf(blob!)).toBe(expected);
      const scanned = parseKeyscan(`# 10.0.0.2:22 SSH-2.0-OpenSSH_9.2\n10.0.0.2 ${type} ${blob}\n10.0.0.2 ${type} ${blob}\n`);
      expect(scanned).toEqual([{ type, key: blob, fingerprint: expected }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the ssh command', () => {
  const argv = forwardArgv('b', { user: 'u', address: 'box', port: 2200, socket: '/r/serve.sock' }, '/k/known_hosts', { api: '/l/a.sock', token: '/l/a.token' });
  it('runs no remote command (no login shell there), pins the key, never prompts', () => {
    expect(argv.slice(0, 3)).toEqual(['ssh', '-N', '-T']);
    expect(argv).toContain('StrictHostKeyChecking=yes');
    expect(argv).toContain('BatchMode=yes');
    expect(argv).toContain('UserKnownHostsFile=/k/known_hosts');
    expect(argv).toContain('HostKeyAlias=nova-host-b');
    expect(argv.slice(-2)).toEqual(['--', 'box']);
    expect(argv.join(' ')).toContain('-L /l/a.sock:/r/serve.sock -L /l/a.token:/r/serve.sock.token');
  });
  it('explains a changed host key with the fix', () => {
    expect(explainSshFailure('b', '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.', 255)).toContain('nova host rm b');
  });
});
