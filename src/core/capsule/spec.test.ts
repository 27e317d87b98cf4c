import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../shared/schemas/novafile.js';
import { buildOciSpec, capsuleArgs, capsuleEnv, hostsFile, resolvConf } from './spec.js';
import type { SpecContext } from './spec.js';

const base = (over: Partial<SpecContext> = {}, spec: Record<string, unknown> = {}): SpecContext => ({
  name: 'api',
  id: 'nova-api-0123abcd',
  spec: containerSpec.parse({
    capsule: 'ubuntu:22.04',
    command: 'node server.js',
    hostname: 'api',
    env: { DATABASE_URL: 'postgres://db', PORT: 8080 },
    volumes: ['./api:/srv/api', './data:/data:ro'],
    read_only: true,
    limits: { cpu: 1.5, memory: '256Mi', pids: 128, io: { weight: 300, read_bps: '10Mi', write_bps: '5Mi' } },
    ...spec,
  }),
  image: { cmd: ['bash'], env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8'], workdir: '/srv' },
  volumes: [
    { source: '/home/me/proj/api', destination: '/srv/api', readonly: false },
    { source: '/home/me/proj/data', destination: '/data', readonly: true },
  ],
  user: { uid: 0, gid: 0 },
  netnsPath: '/run/netns/nova-api-0123abcd',
  etc: { hosts: '/var/lib/nova/capsules/api/etc/hosts', hostname: '/var/lib/nova/capsules/api/etc/hostname', resolv: '/var/lib/nova/capsules/api/etc/resolv.conf' },
  ioDevice: { major: 254, minor: 0 },
  cgroupsPath: '/nova/nova-api-0123abcd',
  ...over,
});

describe('OCI spec builder', () => {
  it('renders the full config.json deterministically (golden)', async () => {
    await expect(`${JSON.stringify(buildOciSpec(base()), null, 2)}\n`).toMatchFileSnapshot('./__golden__/oci-spec.json');
  });

  it('gives a capsule without a network its own namespace (loopback only)', () => {
    const s = buildOciSpec(base({ netnsPath: undefined })) as { linux: { namespaces: { type: string; path?: string }[] } };
    expect(s.linux.namespaces).toContainEqual({ type: 'network' });
    expect(s.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
  });

  it('runs a string command under /bin/sh -c, an array as is, else the image entrypoint + cmd', () => {
    expect(capsuleArgs(base().spec, {})).toEqual(['/bin/sh', '-c', 'node server.js']);
    expect(capsuleArgs(containerSpec.parse({ capsule: 'x', command: ['a', 'b c'] }), {})).toEqual(['a', 'b c']);
    expect(capsuleArgs(containerSpec.parse({ capsule: 'x' }), { entrypoint: ['/init'], cmd: ['serve'] })).toEqual(['/init', 'serve']);
    expect(capsuleArgs(containerSpec.parse({ capsule: 'x' }), {})).toBeUndefined();
  });

  it('lets NovaFile env override the image env', () => {
    const env = capsuleEnv(containerSpec.parse({ capsule: 'x', env: { LANG: 'de_DE.UTF-8' } }), { env: ['LANG=C', 'A=1'] }, 'h');
    expect(env).toContain('LANG=de_DE.UTF-8');
    expect(env).toContain('A=1');
    expect(env).toContain('HOSTNAME=h');
  });

  it('drops capabilities for a non-root user and leaves limits out when none are set', () => {
    const s = buildOciSpec(base({ user: { uid: 1000, gid: 1000 } }, { limits: {} })) as {
      process: { capabilities: { bounding: string[] }; noNewPrivileges: boolean };
      linux: { resources: Record<string, unknown> };
    };
    expect(s.process.capabilities.bounding).toEqual([]);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(Object.keys(s.linux.resources)).toEqual(['devices']);
  });

  it('writes /etc files', () => {
    expect(hostsFile('api', '10.213.0.5')).toContain('10.213.0.5\tapi');
    expect(resolvConf(['10.213.0.1'], 'lab')).toBe('search lab\nnameserver 10.213.0.1\n');
  });
});
