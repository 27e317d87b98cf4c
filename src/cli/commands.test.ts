// Every command the product description and the issues promise exists, with the same shape for
// VMs and containers where both have it.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';

const find = (root: Command, path: string[]): Command | undefined =>
  path.reduce<Command | undefined>((c, name) => c?.commands.find((x) => x.name() === name || x.aliases().includes(name)), root);

const PROMISED = [
  'run vm', 'run container', 'ls', 'net ls', 'net create', 'snapshot vm', 'snapshot container', 'logs container', 'logs vm',
  'gpu list', 'gpu info', 'gpu bind', 'wizard vm', 'support preflight', 'support bundle', 'plan', 'up', 'down', 'validate',
  'host info', 'serve', 'exec container', 'clone vm', 'migrate vm', 'console vm', 'image pull', 'image ls',
  'snapshot ls vm', 'snapshot ls container', 'snapshot restore vm', 'snapshot restore container', 'snapshot rm vm', 'snapshot rm container',
  'stop vm', 'stop container', 'restart vm', 'restart container', 'pause vm', 'pause container', 'resume vm', 'resume container',
  'network ls', 'capsule ls', 'container ls', 'vm ls',
];

describe('the nova command set', () => {
  const { program } = buildProgram();
  it.each(PROMISED)('nova %s', (line) => {
    expect(find(program, line.split(' ')), `nova ${line}`).toBeDefined();
  });

  it('gives every leaf command a description for --help and COMMANDS.md', () => {
    const missing: string[] = [];
    const walk = (c: Command, path: string) => {
      for (const s of c.commands) {
        const p = `${path} ${s.name()}`;
        if (!s.description()) missing.push(p);
        walk(s, p);
      }
    };
    walk(program, 'nova');
    expect(missing).toEqual([]);
  });
});
