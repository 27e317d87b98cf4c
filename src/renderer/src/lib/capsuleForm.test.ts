import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../../shared/schemas/novafile.js';
import { capsuleSpec, emptyCapsuleForm } from './capsuleForm';

describe('New capsule form → [container.NAME]', () => {
  it('gives the engine a section its schema accepts, with only what was filled in', () => {
    const spec = capsuleSpec({
      ...emptyCapsuleForm(),
      name: 'api', image: 'localhost/api:1', command: 'sleep 1d',
      env: [{ key: 'API_KEY', value: 's3cret' }, { key: ' ', value: 'ignored' }],
      volumes: '/srv/api:/srv/api\n\n/srv/data:/data:ro', ports: '8080:80', cpu: '0.5', memory: '64Mi', restart: 'on-failure',
    });
    expect(spec).toEqual({
      capsule: 'localhost/api:1', command: 'sleep 1d', env: { API_KEY: 's3cret' },
      volumes: ['/srv/api:/srv/api', '/srv/data:/data:ro'], ports: ['8080:80'], limits: { cpu: 0.5, memory: '64Mi' }, restart: 'on-failure',
    });
    expect(containerSpec.safeParse(spec).success).toBe(true);
    expect(capsuleSpec({ ...emptyCapsuleForm(), image: 'busybox' })).toEqual({ capsule: 'busybox', restart: 'no' });
  });

  it('a mistake is left for the engine to name (the field and the fix)', () => {
    const r = containerSpec.safeParse(capsuleSpec({ ...emptyCapsuleForm(), image: 'busybox', ports: 'eighty' }));
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('write a port forward like');
  });
});
