import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from '../src/test/capsule-fixtures';
import { expect, rpc, shot, test } from './fixtures';
import { CapsulesPage } from './pages/capsules';
import { TerminalPanel } from './pages/terminal';

// A real terminal (xterm.js) into a running capsule: `exec -t` on an engine pty, typed keys over
// the WebSocket, output back as events, resizes following the window, hang-up on leaving.

const tag = randomBytes(2).toString('hex');
const name = `e2e-term-${tag}`;
let dir = '';

test.describe('terminal (real capsule)', () => {
  test.skip(process.getuid?.() !== 0, 'needs root');

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nova-e2e-term-'));
    await rpc('capsule.create', { name, start: true, spec: { capsule: busyboxRootfs(dir), runtime: 'runc', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'] } });
  });
  test.afterAll(async () => {
    await rpc('capsule.rm', { name, force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('open a shell in a capsule, type a command, see its answer; resize reaches the pty', async ({ app }, testInfo) => {
    const capsules = await new CapsulesPage(app).open();
    await expect(capsules.badge(name)).toHaveText('running', { timeout: 30_000 });
    await capsules.openDetail(name);
    const term = await new TerminalPanel(app).open();
    await expect(term.status).toContainText(`connected: ${name}`, { timeout: 20_000 });
    await expect(term.screen).toContainText('#', { timeout: 20_000 }); // the shell's prompt

    await term.type('echo $((6*7))\n');
    await expect(term.line('42')).toHaveCount(1, { timeout: 20_000 });

    // The window narrows: xterm refits and the pty inside the capsule learns the new size (runc
    // passes resizes on; crun 1.8 keeps the first size, see docs/capsules.md).
    const before = await term.size();
    await term.type('stty size\n');
    await expect(term.line(`${before.rows} ${before.cols}`)).toHaveCount(1, { timeout: 20_000 });
    await app.setViewportSize({ width: 1000, height: 760 });
    await expect.poll(async () => (await term.size()).cols).toBeLessThan(before.cols);
    const after = await term.size();
    await term.type('stty size\n');
    await expect(term.line(`${after.rows} ${after.cols}`)).toHaveCount(1, { timeout: 20_000 });
    await shot(app, 'capsule-terminal', testInfo);

    // `exit` ends the shell: the panel says so and offers to reconnect.
    await term.type('exit\n');
    await expect(term.status).toContainText('ended: exited with code 0', { timeout: 20_000 });
    await app.getByRole('button', { name: 'Reconnect' }).click();
    await expect(term.status).toContainText('connected', { timeout: 20_000 });
    await term.type('hostname\n');
    await expect(term.line(name)).toHaveCount(1, { timeout: 20_000 });
  });
});
