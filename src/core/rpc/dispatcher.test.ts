import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import { Dispatcher } from './dispatcher.js';
import { TaskRegistry } from './tasks.js';

describe('dispatcher', () => {
  it('applies input defaults before the handler runs', async () => {
    const d = new Dispatcher();
    let seen: unknown;
    d.handle('resource.list', (input) => {
      seen = input;
      return { items: [] };
    });
    await d.call('resource.list', undefined);
    expect(seen).toEqual({});
  });

  it('turns a handler that breaks its output schema into INTERNAL, never into bad data', async () => {
    const d = new Dispatcher();
    d.handle('resource.list', () => ({ items: [{ kind: 'teapot', name: 'x', state: 'hot' }] }) as never);
    const r = await d.call('resource.list', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining('breaks the contract') } });
  });

  it('skips the output check only for in-process callers that ask (the /metrics scrape)', async () => {
    const d = new Dispatcher();
    d.handle('resource.list', () => ({ items: [{ kind: 'teapot', name: 'x', state: 'hot' }] }) as never);
    const unchecked = await d.call('resource.list', {}, { transport: 'inproc', uncheckedOutput: true });
    expect(unchecked).toMatchObject({ ok: true, value: { items: [{ kind: 'teapot' }] } });
    const remote = await d.call('resource.list', {}, { transport: 'ws', remote: true, uncheckedOutput: true });
    expect(remote).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('says HOST_UNSUPPORTED for a contract method no backend serves', async () => {
    const r = await new Dispatcher().call('host.info', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'HOST_UNSUPPORTED' } });
  });

  it('rejects unknown input keys, naming them', async () => {
    const d = new Dispatcher();
    d.handle('task.cancel', (i) => ({ id: i.id, cancelled: false, state: 'done' }));
    const r = await d.call('task.cancel', { id: 'a', force: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/force/) } });
  });

  it('keeps plain Error messages but not stacks', async () => {
    const d = new Dispatcher();
    d.handle('task.list', () => {
      throw new Error('disk full');
    });
    const r = await d.call('task.list', {});
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'disk full' } });
  });
});

describe('tasks', () => {
  it('reports progress events and can be cancelled mid-way', async () => {
    const bus = new EventBus();
    const tasks = new TaskRegistry(bus);
    const seen: { state: string; progress: number | null }[] = [];
    bus.on('task.progress', (t) => seen.push({ state: t.state, progress: t.progress }));
    const running = tasks.run('pull image', async (task) => {
      task.progress(0.25, 'layer 1/4');
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 5000);
        task.signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
      });
    });
    const id = tasks.list()[0]!.id;
    expect(tasks.cancel(id).state).toBe('running');
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.map((s) => s.state)).toEqual(['running', 'running', 'cancelled']);
    expect(seen[1]!.progress).toBe(0.25);
    expect(tasks.list()[0]).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
  });

  it('marks a finished task done with full progress', async () => {
    const tasks = new TaskRegistry(new EventBus());
    expect(await tasks.run('create disk', async () => 'ok')).toBe('ok');
    expect(tasks.list()[0]).toMatchObject({ state: 'done', progress: 1 });
  });
});
