import { z } from 'zod';
import { isMethod, NovaError, procedures, toNovaError } from '../../shared/contract.js';
import type { Method, Output, ParsedInput, Result } from '../../shared/contract.js';
import { redact } from '../../shared/redact.js';

export type Transport = 'inproc' | 'ipc' | 'ws' | 'http';

export interface CallContext {
  transport: Transport;
  /**
   * The caller is not in this process's own face (an API client of `nova serve`): it has no
   * working directory of ours, so relative paths and similar local assumptions must be refused.
   */
  remote?: boolean;
  /**
   * The connection that called (one WebSocket, the app window): events only this caller may see
   * (its terminal's output) are addressed to it. Undefined for in-process callers.
   */
  client?: string;
  /** Aborted when the caller goes away or cancels. */
  signal?: AbortSignal;
  /**
   * In-process readers that only pick fields out of the answer (the /metrics scrape) take the
   * handler's value as it is: no contract check of the output (a zod parse of every item, ~5 %
   * of a scrape). Honoured for transport 'inproc' only; no face sets it for a client.
   */
  uncheckedOutput?: boolean;
}

export type Handler<M extends Method> = (input: ParsedInput<M>, ctx: CallContext) => Promise<Output<M>> | Output<M>;

/**
 * The one dispatcher behind every face: validates input against the contract, runs the handler,
 * validates the output, and turns every failure into a NovaError result. Never throws.
 */
/** Runs after input validation and before the handler; throws to refuse the call (e.g. PERMISSION). */
export type Guard = (method: Method, input: unknown, ctx: CallContext) => void | Promise<void>;

/** Told after every call: the method (a contract name, or undefined when unknown), how long it took, and its error code (undefined when it succeeded). */
export type CallObserver = (method: Method | undefined, ms: number, code: string | undefined, ctx: CallContext) => void;

export class Dispatcher {
  private handlers = new Map<Method, Handler<Method>>();
  private guards: Guard[] = [];
  private observers = new Set<CallObserver>();

  guard(fn: Guard): void {
    this.guards.push(fn);
  }

  handle<M extends Method>(method: M, handler: Handler<M>): void {
    if (this.handlers.has(method)) throw new Error(`handler for ${method} registered twice`);
    this.handlers.set(method, handler as unknown as Handler<Method>);
  }

  /** Watches every call (metrics); returns the function that stops watching. */
  observe(fn: CallObserver): () => void {
    this.observers.add(fn);
    return () => void this.observers.delete(fn);
  }

  methods(): Method[] {
    return [...this.handlers.keys()].sort();
  }

  async call(method: string, input: unknown, ctx: CallContext = { transport: 'inproc' }): Promise<Result<unknown>> {
    try {
      const value = await this.invoke(method, input, ctx);
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: toNovaError(e).toJSON() };
    }
  }

  /** Like call() but throws the NovaError; typed for in-process callers. */
  async invoke<M extends Method>(method: M | string, input: unknown, ctx: CallContext = { transport: 'inproc' }): Promise<Output<M>> {
    if (this.observers.size === 0) return this.run(method, input, ctx);
    const t = performance.now();
    let code: string | undefined;
    try {
      return await this.run(method, input, ctx);
    } catch (e) {
      code = toNovaError(e).code;
      throw e;
    } finally {
      const ms = performance.now() - t;
      for (const o of this.observers) {
        try {
          o(isMethod(method) ? method : undefined, ms, code, ctx);
        } catch {
          // A watcher never changes a call's outcome.
        }
      }
    }
  }

  private async run<M extends Method>(method: M | string, input: unknown, ctx: CallContext): Promise<Output<M>> {
    if (!isMethod(method)) throw new NovaError('NOT_FOUND', `unknown method "${method}"`, { method });
    const handler = this.handlers.get(method);
    if (!handler) throw new NovaError('HOST_UNSUPPORTED', `method "${method}" has no backend in this build`, { method });
    const def = procedures[method];
    const parsed = def.input.safeParse(input === null ? undefined : input);
    if (!parsed.success) throw invalidInput(method, parsed.error);
    for (const g of this.guards) await g(method, parsed.data, ctx);
    const out = await handler(parsed.data as ParsedInput<Method>, ctx);
    if (ctx.uncheckedOutput && ctx.transport === 'inproc') return out as Output<M>;
    const checked = def.output.safeParse(out);
    if (!checked.success) {
      throw new NovaError('INTERNAL', `${method} returned data that breaks the contract: ${z.prettifyError(checked.error)}`);
    }
    return checked.data as Output<M>;
  }
}

function invalidInput(method: string, error: z.ZodError): NovaError {
  const issues = error.issues.map((i) => ({
    field: i.path.map(String).join('.') || '(input)',
    message: i.message,
  }));
  const first = issues[0]!;
  const msg = `${method}: invalid ${first.field}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
  return new NovaError('INVALID_INPUT', msg, redact({ issues }));
}
