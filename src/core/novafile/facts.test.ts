// The planner's missing-file facts: a disk made on a backing file (a pulled OS image) is created by
// `up`/`run`, so only its backing file has to exist.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Runner } from '../sys/runner.js';
import type { Backends } from './backend.js';
import { gatherFacts } from './facts.js';
import { declare } from './model.js';
import { validateNovafileText } from './validate.js';

const dir = mkdtempSync(join(tmpdir(), 'nprv-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const missing = async (disks: string) => {
  const { novafile, errors } = validateNovafileText(`[vm.web]\nmemory = "512Mi"\ndisks = [${disks}]\n`, 'NovaFile');
  expect(errors).toEqual([]);
  const declared = declare(novafile!, dir, { trackImages: false });
  return (await gatherFacts({} as Backends, declared, { baseDir: dir, runner: {} as Runner })).missingFiles;
};

describe('missing files in a NovaFile', () => {
  it('a new disk on an existing backing file is not missing; a missing backing file is', async () => {
    writeFileSync(join(dir, 'debian-12.qcow2'), '');
    expect(await missing('{ path = "web.qcow2", backing = "debian-12.qcow2" }')).toEqual([]);
    expect(await missing('{ path = "web.qcow2", backing = "gone.qcow2" }')).toEqual([{ path: 'vm.web.disks.0.backing', file: join(dir, 'gone.qcow2') }]);
    expect(await missing('{ path = "web.qcow2" }')).toEqual([{ path: 'vm.web.disks.0.path', file: join(dir, 'web.qcow2') }]);
    expect(await missing('{ path = "web.qcow2", size = "1Gi" }')).toEqual([]);
  });
});
