import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetCtx } from './context.js';
import { loadIntents, recordIntent } from './intents.js';
import type { NetworkState } from './store.js';

// The intent log is written without fsync (its entries describe kernel state a power cut wipes):
// an entry left unreadable by a power cut is dropped, a readable one is kept.

let stateDir: string;
beforeEach(async () => (stateDir = await mkdtemp(join(tmpdir(), 'nova-intents-'))));
afterEach(async () => rm(stateDir, { recursive: true, force: true }));

describe('network intent log', () => {
  it('keeps recorded intents and drops one a power cut left empty', async () => {
    const ctx = { stateDir } as NetCtx;
    const network = { version: 1, name: 'n1', spec: {}, createdAt: 1, domain: 'n1.nova', reservations: [], attachments: [], forwards: [], records: [] } as unknown as NetworkState;
    await recordIntent(ctx, { op: 'create', network });
    await writeFile(join(stateDir, 'intents', 'create-n2.json'), '');
    const intents = await loadIntents(ctx);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ op: 'create', network: { name: 'n1' } });
    expect(await readdir(join(stateDir, 'intents'))).toEqual(['create-n1.json']);
  });
});
