// @vitest-environment happy-dom
// A UEFI VM stuck in its firmware changes no state, so no event says so: the VM's page asks
// vm.inspect again after the start and shows the engine's reason once there is one. (The engine's
// side, a real OVMF refusing an unsigned loader, is src/core/vm/secboot.test.ts.)
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NovaBridge } from '../../../shared/bridge.js';
import { NovaError } from '../../../shared/errors.js';
import { FIRMWARE_CHECKS_MS } from '../lib/firmwareWatch';
import { setBridge } from '../lib/rpc';
import { useResources } from '../stores/resources';
import { render } from '../test/render';
import { InstanceDetail } from './InstanceDetail';

const WHY = 'the firmware booted nothing (Boot0001 "UEFI Non-Block Boot Device": Access Denied) — Secure Boot refused a boot loader that is not signed with an enrolled key';

function bridgeAnswering(inspect: (n: number) => object): { bridge: NovaBridge; inspects: () => number } {
  let n = 0;
  const bridge: NovaBridge = {
    call: ((method: string) => {
      if (method === 'vm.inspect') return Promise.resolve(inspect(++n));
      return Promise.reject(new NovaError('NOT_FOUND', `${method}: not in this test`));
    }) as NovaBridge['call'],
    on: () => () => undefined,
    consoleEndpoint: () => Promise.reject(new NovaError('HOST_UNSUPPORTED', 'no console in this test')),
  };
  return { bridge, inspects: () => n };
}

const vm = (extra: object) => ({ name: 'w11', state: 'running', uefi: true, secureBoot: true, tpm: true, mac: '52:54:00:00:00:01', spec: { memory: 1 << 30, cpu: 1 }, disks: [], nic: { kind: 'none' }, ...extra });

describe('InstanceDetail: a UEFI VM stuck in its firmware', () => {
  afterEach(() => vi.useRealTimers());

  it('asks again after the start and shows why nothing booted; stops asking once it knows', async () => {
    vi.useFakeTimers();
    const { bridge, inspects } = bridgeAnswering((n) => vm(n >= 3 ? { reason: WHY } : {}));
    setBridge(bridge);
    useResources.setState({ items: [{ kind: 'vm', name: 'w11', state: 'running' }] as never, status: 'ready' });
    const { container, unmount } = await render(<InstanceDetail kind="vm" name="w11" />);
    expect(container.querySelector('[data-testid="firmware-stuck"]')).toBeNull();
    // The first inspect and the first check say nothing yet; the second check has the reason.
    await act(async () => vi.advanceTimersByTimeAsync(FIRMWARE_CHECKS_MS[1]!));
    expect(container.querySelector('[data-testid="firmware-stuck"]')?.textContent).toBe(WHY);
    const asked = inspects();
    await act(async () => vi.advanceTimersByTimeAsync(FIRMWARE_CHECKS_MS.at(-1)!));
    expect(inspects()).toBe(asked);
    await unmount();
  });

  it('a VM that booted is asked a bounded number of times, and never without UEFI', async () => {
    vi.useFakeTimers();
    const uefi = bridgeAnswering(() => vm({}));
    setBridge(uefi.bridge);
    useResources.setState({ items: [{ kind: 'vm', name: 'w11', state: 'running' }] as never, status: 'ready' });
    const a = await render(<InstanceDetail kind="vm" name="w11" />);
    await act(async () => vi.advanceTimersByTimeAsync(10 * FIRMWARE_CHECKS_MS.at(-1)!));
    expect(uefi.inspects()).toBe(1 + FIRMWARE_CHECKS_MS.length);
    expect(a.container.querySelector('[data-testid="firmware-stuck"]')).toBeNull();
    await a.unmount();
    const bios = bridgeAnswering(() => vm({ uefi: false, secureBoot: false }));
    setBridge(bios.bridge);
    const b = await render(<InstanceDetail kind="vm" name="w11" />);
    await act(async () => vi.advanceTimersByTimeAsync(10 * FIRMWARE_CHECKS_MS.at(-1)!));
    expect(bios.inspects()).toBe(1);
    await b.unmount();
  });
});
