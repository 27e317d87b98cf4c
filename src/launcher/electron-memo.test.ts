import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { electronMemoFile, forgetFailure, rememberedFailure, rememberFailure } from './electron-memo.js';

const home = mkdtempSync(join(tmpdir(), 'nova-memo-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('remembers an installer failure under NOVA_HOME until forgotten', async () => {
  const file = electronMemoFile({ NOVA_HOME: home });
  expect(file.startsWith(home)).toBe(true);
  expect(await rememberedFailure(file)).toBeUndefined();
  await rememberFailure(file, 'Error: getaddrinfo ENOTFOUND github.com', new Date('2026-12-02T10:00:00Z'));
  expect(await rememberedFailure(file)).toEqual({ at: '2026-12-02T10:00:00.000Z', reason: 'Error: getaddrinfo ENOTFOUND github.com' });
  await forgetFailure(file);
  expect(await rememberedFailure(file)).toBeUndefined();
});
