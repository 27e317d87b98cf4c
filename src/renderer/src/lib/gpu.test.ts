import { describe, expect, it } from 'vitest';
import type { GpuInfo } from '../../../shared/contract/gpu.js';
import { BADGE_TONE, badgeSummary, facetValues, gpuCard, matchesFilters } from './gpu';

// Full GpuInfo values, typed by the contract: a field the board reads that the contract drops fails to compile.
const base: GpuInfo = {
  address: '', name: '', vendor: { id: '', name: '', kind: 'other' }, device: { id: '' }, subsystem: { vendorId: '', deviceId: '' },
  classCode: '0x030000', className: 'VGA compatible controller', generation: '', integrated: false, groupMembers: [], companions: [],
  resetMethods: [], bootVga: false, rebar: { supported: false }, displayHolders: [], status: 'OK', checks: [],
};
const rtx: GpuInfo = {
  ...base, address: '0000:01:00.0', name: 'NVIDIA GeForce RTX 5090', vendor: { id: '10de', name: 'NVIDIA', kind: 'nvidia' }, device: { id: '2b85' },
  generation: 'Blackwell', driver: 'nvidia', iommuGroup: 14, status: 'Degraded', resetMethods: ['bus'],
  checks: [
    { id: 'iommu', title: 'IOMMU', status: 'ok', reason: 'on' },
    { id: 'reset', title: 'Reset', status: 'warn', reason: 'bus reset only', fix: 'keep the slot alone' },
  ],
};
const igpu: GpuInfo = { ...base, address: '0000:00:02.0', name: 'Intel UHD 770', vendor: { id: '8086', name: 'Intel', kind: 'intel' }, generation: 'Raptor Lake', driver: 'i915', status: 'Action Needed', checks: [{ id: 'display', title: 'Display', status: 'fail', reason: 'drives the host display' }] };

describe('GPU board data', () => {
  it('reads badge, vendor and only the failing checks as reasons', () => {
    const g = gpuCard(rtx, 'host1');
    expect(g).toMatchObject({ address: '0000:01:00.0', vendor: 'NVIDIA', generation: 'Blackwell', badge: 'Degraded', host: 'host1', iommuGroup: 14 });
    expect(g.reasons).toEqual([{ text: 'Reset: bus reset only', fix: 'keep the slot alone' }]);
    expect(g.facts).toContainEqual(['driver', 'nvidia']);
    expect(g.facts).toContainEqual(['resetMethods', 'bus']);
    // What the host did not report is left out, not shown as empty.
    expect(g.facts.map(([k]) => k)).not.toContain('powerState');
  });

  it('filters by facet (empty = all) and summarises badges', () => {
    const cards = [gpuCard(rtx, 'h'), gpuCard(igpu, 'h')];
    expect(cards.filter((c) => matchesFilters(c, { vendor: ['NVIDIA'], generation: [], host: [] })).map((c) => c.vendor)).toEqual(['NVIDIA']);
    expect(cards.filter((c) => matchesFilters(c, { vendor: [], generation: [], host: [] }))).toHaveLength(2);
    expect(badgeSummary(cards)).toEqual({ OK: 0, Degraded: 1, 'Action Needed': 1, Unknown: 0 });
    expect(facetValues(cards, 'vendor')).toEqual(['Intel', 'NVIDIA']);
  });

  it('shows a GPU without a known status as Unknown in a muted badge, never OK', () => {
    for (const status of [undefined, null, '', 'ok', 'Ready']) {
      const card = gpuCard({ ...rtx, status } as unknown as GpuInfo, 'h');
      expect(card.badge).toBe('Unknown');
      expect(BADGE_TONE[card.badge]).toBe('muted');
    }
    expect(badgeSummary([gpuCard({ ...igpu, status: undefined } as unknown as GpuInfo, 'h')])).toEqual({ OK: 0, Degraded: 0, 'Action Needed': 0, Unknown: 1 });
    // A known status is passed through as is.
    expect(gpuCard({ ...rtx, status: 'OK' }, 'h').badge).toBe('OK');
  });
});
