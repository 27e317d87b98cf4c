import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { THEMES } from '../src/shared/contract/prefs';
import { busyboxRootfs } from '../src/test/capsule-fixtures';
import { expect, openView, rpc, shot, test } from './fixtures';
import { overflowing } from './pages/common';
import { InstancesPage } from './pages/instances';
import { ProjectsPage } from './pages/projects';

// Every view at the launcher's default 1280×800 and at 1920×1080 — the ten sidebar views, the
// create dialogs, the detail pages of a VM, a capsule, a network and a project, and the All hosts
// view — in every theme: no element reaches past the viewport (nothing clipped, no horizontal
// scrolling). Screenshots of each in two themes per size land in the test's artifacts. Themes
// change colours, not boxes, so each page is checked once per theme without navigating again.

const VIEWS = ['dashboard', 'vms', 'capsules', 'networks', 'topology', 'gpus', 'captures', 'storage', 'projects', 'settings'];
const DIALOGS: { view: string; open: string; name: string }[] = [
  { view: 'vms', open: 'new-vm', name: 'New virtual machine' },
  { view: 'capsules', open: 'new-capsule', name: 'New capsule' },
  { view: 'networks', open: 'new-network', name: 'New network' },
];
// Screenshots: the launcher's default in a dark and the light theme; a full-HD screen in the
// default and the opt-in Material Ocean.
const SIZES = [
  { width: 1280, height: 800, shots: ['tokyo-night-storm', 'tokyo-night-day'] },
  { width: 1920, height: 1080, shots: ['tokyo-night-storm', 'material-ocean'] },
];

const tag = randomBytes(2).toString('hex');
const root = process.getuid?.() === 0;
const vm = `e2e-lay-${tag}`;
const cap = `e2e-laycap-${tag}`;
const net = `lay${tag}`;
const planned = `e2e-layplan-${tag}`; // declared in the project, not on the host: a line to create
let dir = '';

test.describe('layout at 1280×800 and 1920×1080 in every theme', () => {
  test.beforeAll(async () => {
    // Something on each detail page: a stopped VM with a disk, a created capsule, an isolated
    // switch, a project folder whose plan has a line.
    dir = mkdtempSync(join(tmpdir(), 'nova-e2e-layout-'));
    writeFileSync(join(dir, 'vmlinuz'), '');
    await rpc('vm.create', { name: vm, spec: { kernel: join(dir, 'vmlinuz'), memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: join(dir, 'layout.qcow2'), size: '64Mi' }] } });
    if (root) {
      await rpc('capsule.create', { name: cap, spec: { capsule: busyboxRootfs(dir), command: ['sleep', '1000'] } });
      await rpc('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.111.${1 + Math.floor(Math.random() * 250)}.1/24` } });
    }
    writeFileSync(join(dir, 'NovaFile'), `project = "layout-${tag}"\n\n[container.${planned}]\ncapsule = "./rootfs"\ncommand = ["sleep", "1000"]\n`);
  });
  test.afterAll(async () => {
    await rpc('prefs.set', { key: 'theme', value: 'tokyo-night-storm' });
    await rpc('vm.delete', { name: vm, disks: true }).catch(() => undefined);
    if (root) {
      await rpc('capsule.rm', { name: cap, force: true }).catch(() => undefined);
      await rpc('network.rm', { name: net, force: true }).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  for (const { width, height, shots } of SIZES) {
    test(`every view, dialog and detail page fits at ${width}×${height} in every theme`, async ({ app }, testInfo) => {
      test.setTimeout(150_000);
      await app.setViewportSize({ width, height });
      const at = width === 1280 ? '' : `-${width}`;
      // The page as it is now, in each theme: nothing overflows; screenshots in two of them.
      const fits = async (page: string) => {
        for (const theme of THEMES) {
          await rpc('prefs.set', { key: 'theme', value: theme });
          await expect(app.locator('html')).toHaveAttribute('data-theme', theme);
          expect(await overflowing(app), `${page} overflows at ${width}×${height} in ${theme}`).toEqual([]);
          if (shots.includes(theme)) await shot(app, `${page}-${theme}${at}`, testInfo);
        }
      };
      const settle = async (p: Page) => {
        await expect(p.getByText('Loading view…')).toHaveCount(0);
        await p.waitForLoadState('networkidle');
      };

      for (const view of VIEWS) {
        await openView(app, view);
        await settle(app);
        await fits(view);
      }
      for (const d of DIALOGS) {
        await openView(app, d.view);
        await app.getByTestId(d.open).click();
        const dialog = app.getByRole('dialog', { name: d.name });
        await expect(dialog).toBeVisible();
        await fits(d.open);
        await app.keyboard.press('Escape');
        await expect(dialog).toHaveCount(0);
      }

      type Kind = 'vm' | 'capsule' | 'network';
      const details: [Kind, string][] = [['vm', vm]];
      if (root) details.push(['capsule', cap], ['network', net]);
      for (const [kind, name] of details) {
        const list = await new InstancesPage(app, kind).open();
        await list.openDetail(name);
        await expect(list.header.root).toContainText(name);
        await settle(app);
        await fits(`${kind}-detail`);
      }

      const projects = await new ProjectsPage(app).open();
      await projects.openFolder(dir);
      await expect(projects.change('capsule', planned)).toHaveAttribute('data-action', 'create', { timeout: 20_000 });
      await fits('project-detail');

      await app.getByTestId('host-switcher').selectOption('all');
      await expect(app.getByRole('heading', { level: 1 })).toContainText(/hosts/i);
      await settle(app);
      await fits('all-hosts');
      await app.getByTestId('host-switcher').selectOption('local');
    });
  }
});
