import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultProbe } from './rootless-checks.js';
import { pastaCheck } from './pasta-check.js';

describe('preflight: pasta for rootless capsule networking', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-pasta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const probe = (uid: number) => ({ ...defaultProbe({ PATH: dir }, { layout: 'v2' } as never), uid });

  it('missing: fails for a user, warns for root, with the Debian and Arch fix', async () => {
    const user = await pastaCheck(probe(1000));
    expect(user).toMatchObject({ id: 'rootless-pasta', status: 'fail', remedy: { debian: 'sudo apt install passt', arch: 'sudo pacman -S passt' } });
    expect((await pastaCheck(probe(0))).status).toBe('warn');
  });

  it('present: ok, naming where', async () => {
    writeFileSync(join(dir, 'pasta'), '#!/bin/sh\n');
    chmodSync(join(dir, 'pasta'), 0o755);
    const r = await pastaCheck(probe(1000));
    expect(r.status).toBe('ok');
    expect(r.detail).toContain(join(dir, 'pasta'));
    expect(r.remedy).toBeUndefined();
  });
});
