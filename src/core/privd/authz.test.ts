// How the helper asks polkit: pkcheck about the caller's process (pid, start time, uid) with
// --allow-user-interaction, so that for an auth_admin action polkit's own agent in the caller's
// session asks for the password while the verb waits (the app shows no password dialog of its
// own). A stand-in pkcheck records its argv and answers with the exit code under test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authorize } from './authz.js';
import type { Peer } from './peer.js';

const dir = mkdtempSync(join(tmpdir(), 'nova-authz-'));
const peer: Peer = { uid: 1234, gid: 1234, pid: 4321, start: '987654', groups: [1234] };

/** A pkcheck that writes its argv to a file and exits with `code`. */
function stub(code: number): { bin: string; argv: () => string[] } {
  const bin = join(dir, `pkcheck-${code}`);
  const out = `${bin}.argv`;
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nexit ${code}\n`, { mode: 0o755 });
  return { bin, argv: () => readFileSync(out, 'utf8').trim().split('\n') };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('authorize (nova privd → polkit)', () => {
  it('asks about the caller’s process with --allow-user-interaction, so the session’s agent can prompt', async () => {
    const pk = stub(0);
    expect(await authorize(peer, 'org.nova.manage-devices-force', { pkcheck: pk.bin })).toEqual({ allowed: true, via: 'polkit' });
    expect(pk.argv()).toEqual(['--action-id', 'org.nova.manage-devices-force', '--process', '4321,987654,1234', '--allow-user-interaction']);
  });

  it('auth_admin with no agent answering (pkcheck 2) is refused, saying to run Nova in the desktop session', async () => {
    const d = await authorize(peer, 'org.nova.manage-networks', { pkcheck: stub(2).bin });
    expect(d).toMatchObject({ allowed: false, why: expect.stringContaining('no authentication agent answered'), fix: expect.stringContaining('its polkit agent asks for the password') });
  });

  it('a dismissed prompt (pkcheck 3) and a plain no (1) are refused; root never asks', async () => {
    expect(await authorize(peer, 'org.nova.capture', { pkcheck: stub(3).bin })).toMatchObject({ allowed: false, why: expect.stringContaining('dismissed') });
    expect(await authorize(peer, 'org.nova.capture', { pkcheck: stub(1).bin })).toMatchObject({ allowed: false, why: expect.stringContaining('does not allow') });
    // A dialog left open past the deadline is that, not "polkit is not running".
    const slow = join(dir, 'pkcheck-slow');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 10\n', { mode: 0o755 });
    expect(await authorize(peer, 'org.nova.capture', { pkcheck: slow, timeoutMs: 300 })).toMatchObject({ allowed: false, why: expect.stringContaining('was not answered in time') });
    expect(await authorize({ ...peer, uid: 0 }, 'org.nova.capture', { pkcheck: join(dir, 'absent') })).toEqual({ allowed: true, via: 'root' });
  });
});
