// observe() for an ordinary user whose privileged helper is not running: network.list is refused
// (PERMISSION). A project without networks must still plan and apply; one with networks must not
// pretend they are absent.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../shared/errors.js';
import type { ContainerSpec, NetworkSpec } from '../../shared/schemas/novafile.js';
import type { Declared } from './model.js';
import { observe } from './observe.js';
import { memoryHost } from './testing/memory-host.js';

const capsule = { kind: 'capsule' as const, name: 'api', section: 'container' as const, spec: { capsule: 'busybox' } as ContainerSpec, needs: [] };
const network = { kind: 'network' as const, name: 'lan', section: 'network' as const, spec: {} as NetworkSpec, needs: [] };
const noHelper = () => {
  const host = memoryHost();
  host.failOn.set('network.list', new NovaError('PERMISSION', "Nova's privileged helper is not running"));
  host.resources.set('capsule/api', { kind: 'capsule', name: 'api', project: 'p', spec: {}, state: 'running' });
  return host;
};

describe('observe without the privileged helper', () => {
  it('a project of capsules only: networks are not needed, the capsules are seen', async () => {
    const declared: Declared = { project: 'p', items: [capsule], images: [] };
    const seen = await observe(noHelper(), declared, { images: false, recorded: ['capsule/api'] });
    expect([...seen.items.keys()]).toEqual(['capsule/api']);
  });

  it('a project that declares a network, or once made one, still fails with the helper\'s error', async () => {
    const declared: Declared = { project: 'p', items: [capsule, network], images: [] };
    await expect(observe(noHelper(), declared, { images: false })).rejects.toMatchObject({ code: 'PERMISSION' });
    const before: Declared = { project: 'p', items: [capsule], images: [] };
    await expect(observe(noHelper(), before, { images: false, recorded: ['network/lan'] })).rejects.toMatchObject({ code: 'PERMISSION' });
  });
});
