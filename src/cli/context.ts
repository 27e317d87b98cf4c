import type { Command } from 'commander';
import { createEngine } from '../core/engine.js';
import type { Engine } from '../core/engine.js';
import type { Input, Method, Output } from '../shared/contract.js';
import { printJson } from './output.js';
import { writeOut } from './terminal.js';

/** Methods about this host's list of remote hosts: never sent to a remote host. */
const LOCAL_ONLY = /^host\.(list|scan|add|remove|call)$/;

export interface GlobalOptions {
  json?: boolean;
  novafile?: string;
}

/**
 * What a command module gets: the engine (created on first use, in-process), a typed call,
 * and the output mode. Commands stay thin: argv → (method, input) → print.
 */
export class CliContext {
  private engineInstance?: Engine;
  private verbs = new Map<string, Command>();

  constructor(readonly program: Command) {}

  get opts(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get engine(): Engine {
    this.engineInstance ??= createEngine();
    return this.engineInstance;
  }

  /** `--host NAME` / NOVA_HOST: calls go to that remote Nova host's engine (over SSH). */
  remoteHost?: string;

  call<M extends Method>(method: M, input?: Input<M>): Promise<Output<M>> {
    if (this.remoteHost && !LOCAL_ONLY.test(method)) {
      return this.engine.dispatcher
        .invoke('host.call', { host: this.remoteHost, method, input: input ?? {} }, { transport: 'inproc' })
        .then((r) => (r as { value: unknown }).value as Output<M>);
    }
    return this.callLocal(method, input);
  }

  /** This host's engine, whatever --host says (the list of hosts itself). */
  callLocal<M extends Method>(method: M, input?: Input<M>): Promise<Output<M>> {
    return this.engine.dispatcher.invoke<M>(method, input ?? {}, { transport: 'inproc' });
  }

  /** Where the NovaFile is: `-f PATH` (global) or the one in the folder the command was typed in. */
  novafileSource(): { path?: string; cwd: string } {
    return { ...(this.opts.novafile ? { path: this.opts.novafile } : {}), cwd: process.cwd() };
  }

  /** Prints `--json` output, or the human form. */
  print<T>(value: T, human: (v: T) => string): void {
    if (this.opts.json) printJson(value);
    else {
      const text = human(value);
      if (text) writeOut(`${text}\n`);
    }
  }

  /**
   * Verb-first groups shared between areas: `nova snapshot vm X` and `nova snapshot container X`
   * live in different modules but under one `snapshot` command.
   */
  verb(name: string, description: string): Command {
    let cmd = this.verbs.get(name);
    if (!cmd) {
      cmd = this.program.command(name).description(description);
      this.verbs.set(name, cmd);
    }
    return cmd;
  }

  /** A noun group (`nova vm …`, `nova net …`), created once. */
  noun(name: string, description: string, aliases: string[] = []): Command {
    return this.verb(name, description).aliases(aliases);
  }

  /** A subcommand group under `parent`, created once: `nova snapshot ls vm|container …` share `ls`. */
  group(parent: Command, name: string, description: string): Command {
    return parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(description);
  }

  async close(): Promise<void> {
    await this.engineInstance?.close();
  }
}
