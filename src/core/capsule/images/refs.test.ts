import { describe, expect, it } from 'vitest';
import { isLoopbackRegistry, layoutTag, parseImageRef } from './refs.js';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['grafana/grafana:10', 'docker.io/grafana/grafana:10'],
    ['quay.io/podman/stable', 'quay.io/podman/stable:latest'],
    ['localhost:5000/app:1', 'localhost:5000/app:1'],
    [`alpine@sha256:${'a'.repeat(64)}`, `docker.io/library/alpine@sha256:${'a'.repeat(64)}`],
  ])('%s → %s', (input, full) => {
    expect(parseImageRef(input).full).toBe(full);
  });

  it('resolves short names against the configured default registry', () => {
    expect(parseImageRef('ubuntu:22.04', '127.0.0.1:5000').full).toBe('127.0.0.1:5000/ubuntu:22.04');
  });

  it('rejects what a registry would reject, naming the problem', () => {
    expect(() => parseImageRef('Ubuntu')).toThrow(/lowercase/);
    expect(() => parseImageRef('app@sha256:xyz')).toThrow(/digest/);
  });

  it('makes layout tags without ":" or "/" and knows loopback registries', () => {
    expect(layoutTag('127.0.0.1:5000/a/b:1')).toBe('127.0.0.1_5000_a_b_1');
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost')).toBe(true);
    expect(isLoopbackRegistry('registry.example.com')).toBe(false);
  });
});
