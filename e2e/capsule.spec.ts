import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from '../src/test/capsule-fixtures';
import { expect, rpc, shot, test } from './fixtures';
import { CapsulesPage } from './pages/capsules';
import { roundAxisProblem, yTicks } from './pages/metrics';
import { SnapshotsPanel } from './pages/snapshots';

// A real capsule (crun/runc) from a busybox root filesystem imported as an image: started from
// the UI, its stdout streams into the detail page, its graphs have round axes, its writable layer
// is snapshotted, changed and restored from the snapshot manager, then it is stopped and deleted.

const tag = randomBytes(2).toString('hex');
const name = `e2e-cap-${tag}`;
const image = `localhost/e2e-busybox-${tag}:1`;
let dir = '';

test.describe('capsules (real backend)', () => {
  test.skip(process.getuid?.() !== 0, 'needs root');

  test.beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-e2e-cap-'));
  });
  test.afterAll(async () => {
    await rpc('capsule.rm', { name, force: true }).catch(() => undefined);
    await rpc('image.rm', { ref: image, force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('start from the list, stdout streams into the detail page, stop and delete with confirmation', async ({ app }, testInfo) => {
    test.setTimeout(150_000);
    // Importing the image is a long-running task: the status bar shows it (task.progress events).
    const imported = rpc('image.import', { source: busyboxRootfs(dir), name: image });
    await expect(app.getByTestId('task').filter({ hasText: `import ${image}` })).toBeVisible({ timeout: 20_000 });
    await imported;
    const script = 'trap "exit 0" TERM; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done';
    await rpc('capsule.create', { name, spec: { capsule: image, command: ['sh', '-c', script] } });
    const capsules = await new CapsulesPage(app).open();
    await expect(capsules.badge(name)).toHaveText('created');
    await capsules.button(name, 'Start').click();
    await expect(capsules.badge(name)).toHaveText('running', { timeout: 30_000 });

    await capsules.openDetail(name);
    await expect(capsules.detailState).toHaveText('running');
    await app.getByTestId('tab-logs').click();
    const log = app.getByTestId('capsule-log');
    await expect(log).toContainText('tick 1', { timeout: 30_000 });
    const last = async () => Number([...((await log.textContent()) ?? '').matchAll(/tick (\d+)/g)].pop()?.[1] ?? -1);
    const seen = await last();
    await expect.poll(last, { timeout: 20_000 }).toBeGreaterThan(seen); // live lines keep arriving
    await shot(app, 'capsule-logs', testInfo);

    // Resource graphs from the engine's metrics.sample events (cgroup stats every 5 s).
    await app.getByTestId('tab-metrics').click();
    await expect(app.getByTestId('metrics-charts')).toBeVisible({ timeout: 20_000 });
    await expect(app.getByTestId('metrics-charts')).toContainText('Memory');
    // Round y ticks from 0: powers of two for bytes, whole steps for a process count (recharts'
    // own ticks for 1–2 processes read 0/0.25/0.5… or 0/0.5/1/1.5, and decimal steps for bytes).
    await expect.poll(async () => roundAxisProblem(await yTicks(app, 'Memory'), 'bytes'), { timeout: 20_000 }).toBe('');
    await expect.poll(async () => roundAxisProblem(await yTicks(app, 'Processes'), 'count'), { timeout: 20_000 }).toBe('');
    await shot(app, 'capsule-metrics', testInfo);

    // The snapshot manager on the capsule: its writable layer saved, changed, rolled back, deleted.
    const sh = (script: string) => rpc<{ exitCode: number; stdout: string }>('capsule.exec', { name, command: ['sh', '-c', script] });
    expect((await sh('echo v1 > /keep')).exitCode).toBe(0);
    const snaps = await new SnapshotsPanel(app).open();
    await expect(app.getByText('No snapshots yet')).toBeVisible();
    await snaps.take('before-edit');
    await expect(capsules.feedback.toast(`${name}: snapshot before-edit taken`)).toBeVisible({ timeout: 30_000 });
    const row = snaps.row('before-edit');
    await expect(row).toContainText('writable layer');
    await expect(row).toContainText(/\d+(\.\d+)? (B|KiB|MiB)/);
    await expect(row).toContainText(String(new Date().getFullYear()));
    await shot(app, 'capsule-snapshots', testInfo);
    expect((await sh('echo v2 > /keep; cat /keep')).stdout.trim()).toBe('v2');
    let dialog = await snaps.confirmRow('before-edit', 'Restore');
    await expect(dialog).toContainText(`Restore ${name} to before-edit?`);
    await expect(dialog).toContainText('The capsule restarts.');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect(capsules.feedback.toast(`${name}: restored before-edit`)).toBeVisible({ timeout: 60_000 });
    await expect(capsules.detailState).toHaveText('running', { timeout: 30_000 });
    expect((await sh('cat /keep')).stdout.trim()).toBe('v1');
    dialog = await snaps.confirmRow('before-edit', 'Delete');
    await expect(dialog).toContainText('Delete snapshot before-edit?');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(snaps.row('before-edit')).toBeHidden({ timeout: 30_000 });
    await expect(app.getByText('No snapshots yet')).toBeVisible();
    expect((await rpc<{ items: unknown[] }>('capsule.snapshot.list', { name })).items).toEqual([]);

    await capsules.header.button('Stop').click();
    await expect(capsules.detailState).toHaveText('exited', { timeout: 30_000 });
    await expect(await capsules.askFromDetail('Delete')).toContainText(`Delete capsule ${name}?`);
    await capsules.feedback.confirm('Delete');
    await expect(capsules.feedback.toast(`${name} deleted`)).toBeVisible({ timeout: 30_000 });
    await expect(rpc('capsule.inspect', { name })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.getByRole('heading', { level: 1, name: 'Capsules' })).toBeVisible(); // back on the list
  });
});
