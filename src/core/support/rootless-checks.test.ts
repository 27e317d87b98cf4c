// Preflight's rootless section: each line against fixture files (every way it can go wrong), then
// for real, as an ordinary user the test creates, through that user's own engine.
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreflightCheck, PreflightReport } from '../../shared/contract/support.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { subIdsCheck, uidmapCheck, usernsCheck } from './rootless-checks.js';
import type { RootlessProbe } from './rootless-checks.js';

const dir = mkdtempSync(join(tmpdir(), 'nova-rl-pre-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string | undefined) => {
  const p = join(dir, `f${n++}`);
  if (text !== undefined) writeFileSync(p, text);
  return p;
};
const probe = (o: Partial<Record<'subuid' | 'subgid' | 'max' | 'clone' | 'apparmor', string>> & { uid?: number; path?: string } = {}): RootlessProbe => ({
  subuid: file(o.subuid ?? 'alice:100000:65536\n'),
  subgid: file(o.subgid ?? 'alice:100000:65536\n'),
  maxUserNamespaces: file(o.max),
  unprivilegedUsernsClone: file(o.clone),
  apparmorRestrictUserns: file(o.apparmor),
  env: { PATH: o.path ?? process.env.PATH },
  uid: o.uid ?? 1000,
  user: 'alice',
  cgroup: { layout: 'v2', detail: '', unifiedControllers: [] },
});
const fixed = (c: PreflightCheck) => {
  expect(c.remedy?.debian, c.id).toBeTruthy();
  expect(c.remedy?.arch, c.id).toBeTruthy();
  return c;
};

describe('rootless preflight lines from fixture files', () => {
  it('subordinate ids: none is a failure naming the file, a short range a warning, 65536 ok; by name or uid', async () => {
    expect(fixed(await subIdsCheck(probe({ subuid: 'bob:100000:65536\n' })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('/etc/subuid') });
    expect(fixed(await subIdsCheck(probe({ subgid: '' })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('/etc/subgid') });
    expect(fixed(await subIdsCheck(probe({ subuid: 'alice:100000:1000\n' })))).toMatchObject({ status: 'warn', detail: expect.stringContaining('1000 subordinate uids') });
    expect(await subIdsCheck(probe({ subuid: '1000:100000:65536\n' }))).toMatchObject({ status: 'ok', detail: 'alice: 65536 subordinate uids, 65536 gids' });
    expect((await subIdsCheck(probe({ uid: 0, subuid: '' }))).status).toBe('ok'); // root needs none
  });

  it('user namespaces: off by sysctl, by the Debian clone switch, by AppArmor, or absent', async () => {
    expect(fixed(await usernsCheck(probe({ max: '0' })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('max_user_namespaces is 0') });
    expect(fixed(await usernsCheck(probe({ max: '1000', clone: '0' })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('unprivileged_userns_clone is 0') });
    expect(fixed(await usernsCheck(probe({ max: '1000', apparmor: '1' })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('AppArmor') });
    expect(fixed(await usernsCheck(probe({})))).toMatchObject({ status: 'fail', detail: expect.stringContaining('no user namespaces') });
    expect((await usernsCheck(probe({ max: '0', uid: 0 }))).status).toBe('warn'); // root's capsules do not need them
    expect(await usernsCheck(probe({ max: '1000', clone: '1', apparmor: '0' }))).toMatchObject({ status: 'ok', detail: 'allowed (max_user_namespaces 1000, unprivileged_userns_clone 1)' });
  });

  it('newuidmap/newgidmap: missing, or present but not setuid', async () => {
    const missing = fixed(await uidmapCheck(probe({ path: dir })));
    expect(missing).toMatchObject({ status: 'fail', detail: expect.stringContaining('newuidmap and newgidmap not found') });
    expect(missing.remedy).toEqual({ debian: 'sudo apt install uidmap', arch: 'sudo pacman -S shadow' });
    const bin = mkdtempSync(join(dir, 'bin-'));
    // Copies of any program stand in for binaries that lost their setuid bit.
    for (const b of ['newuidmap', 'newgidmap']) copyFileSync('/bin/true', join(bin, b));
    for (const b of ['newuidmap', 'newgidmap']) chmodSync(join(bin, b), 0o755);
    expect(fixed(await uidmapCheck(probe({ path: bin })))).toMatchObject({ status: 'fail', detail: expect.stringContaining('not setuid root') });
  });
});

describeHost('rootless preflight for real, as an ordinary user', { root: true, tools: ['newuidmap', 'newgidmap', 'setpriv', 'useradd'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  beforeAll(async () => {
    user = createTestUser();
    home = mkdtempSync(join(tmpdir(), 'nova-rl-pf-'));
    chownSync(home, user.uid, user.gid);
    engine = await startUserEngine(user, { NOVA_HOME: home });
  });
  afterAll(async () => {
    await engine?.close();
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows the section with this host\'s facts: ranges from useradd, setuid helpers, namespaces allowed, delegation as detected', async () => {
    const r = await engine.invoke<PreflightReport>('support.preflight', {});
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['rootless-subids']).toMatchObject({ status: 'ok', detail: `${user.name}: ${user.subuid.count} subordinate uids, ${user.subuid.count} gids`, title: 'Rootless capsules: subordinate ids' });
    expect(byId['rootless-uidmap']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/newuidmap.*setuid root/) });
    expect(byId['rootless-userns']!.status).toBe('ok');
    const cg = byId['rootless-cgroups']!;
    // This machine's hybrid layout delegates nothing; a v2 host with user@.service may.
    if (cg.status !== 'ok') expect(fixed(cg).detail).toMatch(/limits are refused/);
  });
});
