import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { netnsArgv, netnsRunner } from './netns.js';
import { createRunner, recordingRunner } from './runner.js';

describe('netnsRunner', () => {
  it('prefixes every argv with ip netns exec and validates the name', async () => {
    const rec = recordingRunner({ run: async (argv) => ({ argv: [...argv], exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) });
    await netnsRunner(rec, 'lab-1').run(['nft', 'list', 'ruleset']);
    expect(rec.calls).toEqual([['ip', 'netns', 'exec', 'lab-1', 'nft', 'list', 'ruleset']]);
    expect(netnsArgv(undefined, ['ip', 'link'])).toEqual(['ip', 'link']);
    expect(() => netnsRunner(rec, '../etc')).toThrow(/invalid network namespace/);
    expect(() => netnsRunner(rec, '-n')).toThrow(/invalid network namespace/);
  });
});

describeHost('network backend on a netnsRunner', { root: true, tools: ['ip', 'nft', 'dnsmasq', 'tcpdump'] }, () => {
  const ns = `nvrun-${process.pid}`;
  let home: TempHome;
  afterAll(async () => {
    await home?.cleanup();
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('creates the switch, its table and its capture inside the namespace, never on the host', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    home = await tempHome('nvrun-');
    const engine = home.engine({ runner: netnsRunner(createRunner(), ns) });
    const name = `r${process.pid % 100000}`;
    await engine.dispatcher.invoke('network.create', { name, spec: { profile: 'isolated', subnet: '10.213.251.1/24', dns: false } });
    expect(execFileSync('ip', ['-n', ns, '-br', 'link', 'show', name], { encoding: 'utf8' })).toContain(name);
    expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(`${name} `);
    expect(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' })).toContain('table ip nova');
    const cap = await engine.dispatcher.invoke('network.capture.start', { network: name });
    expect(cap.running).toBe(true);
    await engine.dispatcher.invoke('network.capture.stop', { id: cap.id });
    await engine.dispatcher.invoke('network.rm', { name });
    expect(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' })).not.toContain('nova');
  });
});
