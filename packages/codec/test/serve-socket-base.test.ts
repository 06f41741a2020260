// The serve sockets' shared half: the listener table, held messages for a
// late listener or the iterator, counters, close() argument checks, the
// drained() wait and the close outcome, driven through a minimal subclass.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServeSocketBase, serveMessageOf, type ServeSocketEventMap } from '../src/adapter/serve-socket-base.js';
import { UsageError } from '../src/protocol/errors.js';
import type { CloseInfo } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';

const seed = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const numRuns = Number(process.env['FW_FUZZ_RUNS'] ?? 200);

/** A runtime socket stand-in: delivers as the Deno adapter does, records what the base asks of it. */
class TestSocket extends ServeSocketBase<ServeSocketEventMap> {
  buffered = 0;
  closes: [number, string][] = [];
  drainWants = 0;
  heldTakes = 0;
  releases = 0;

  constructor(onListenerError?: (error: unknown, event: string) => void) {
    super({ highWaterMark: 10, onListenerError });
  }

  get bufferedAmount(): number {
    return this.buffered;
  }

  receive(data: SessionMessage): void {
    const isBinary = typeof data !== 'string';
    this.countReceived(isBinary ? (data as Uint8Array).byteLength : data.length);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter({ done: false, value: data });
    else if (this.listenerCount('message') > 0) this.emit('message', [data, isBinary]);
    else this.held.push({ data, isBinary });
  }

  sent(bytes: number): void {
    this.countSent(bytes);
  }

  drain(): void {
    this.emit('drain', []);
  }

  end(info: CloseInfo): void {
    this.finish(info);
  }

  protected closeWith(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }

  protected flushHeld(): void {
    while (this.listenerCount('message') > 0 && this.held.length > 0) {
      const held = this.held.shift()!;
      this.emit('message', [held.data, held.isBinary]);
    }
  }

  protected override drainWanted(): void {
    this.drainWants++;
  }

  protected override heldTaken(): void {
    this.heldTakes++;
  }

  protected released(): void {
    this.releases++;
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('ServeSocketBase', () => {
  it('holds messages until the first listener, then hands them over in order', async () => {
    const socket = new TestSocket();
    socket.receive('a');
    socket.receive('b');
    const got: SessionMessage[] = [];
    socket.on('message', (data) => void got.push(data));
    expect(got).toEqual([]);
    await flush();
    socket.receive('c');
    expect(got).toEqual(['a', 'b', 'c']);
    expect(socket.messagesReceived).toBe(3);
    expect(socket.bytesReceived).toBe(3);
  });

  it('once listeners run once; off removes the first registration; listenerCount follows', () => {
    const socket = new TestSocket();
    const calls: string[] = [];
    const listener = (): void => void calls.push('on');
    socket.on('drain', listener).on('drain', listener).once('drain', () => void calls.push('once'));
    expect(socket.listenerCount('drain')).toBe(3);
    socket.drain();
    expect(calls).toEqual(['on', 'on', 'once']);
    socket.off('drain', listener);
    expect(socket.listenerCount('drain')).toBe(1);
    socket.drain();
    expect(calls).toEqual(['on', 'on', 'once', 'on']);
  });

  it('reports listener exceptions and rejections to onListenerError, never to the caller', async () => {
    const errors: [unknown, string][] = [];
    const socket = new TestSocket((error, event) => errors.push([error, event]));
    socket.on('drain', () => {
      throw new Error('sync');
    });
    socket.on('drain', () => Promise.reject(new Error('async')));
    expect(() => socket.drain()).not.toThrow();
    await flush();
    expect(errors.map(([error, event]) => `${(error as Error).message} ${event}`)).toEqual(['sync drain', 'async drain']);
  });

  it('iterates held messages first, tells the subclass when the last was taken, and ends after close', async () => {
    const socket = new TestSocket();
    socket.receive('a');
    const iterator = socket[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(socket.heldTakes).toBe(1);
    const pending = iterator.next();
    socket.receive('b');
    expect(await pending).toEqual({ done: false, value: 'b' });
    const last = iterator.next();
    socket.end({ code: 1000, reason: '', wasClean: true });
    expect(await last).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('finishes once: releases, resolves closed and emits close with the first outcome', async () => {
    const socket = new TestSocket();
    const seen: CloseInfo[] = [];
    socket.on('close', (info) => void seen.push(info));
    socket.end({ code: 1001, reason: 'bye', wasClean: true });
    socket.end({ code: 1006, reason: '', wasClean: false });
    expect(await socket.closed).toEqual({ code: 1001, reason: 'bye', wasClean: true });
    expect(socket.closeInfo?.code).toBe(1001);
    expect(seen).toHaveLength(1);
    expect(socket.releases).toBe(1);
  });

  it('close() checks the code and the reason before the subclass sends anything', () => {
    const socket = new TestSocket();
    expect(() => socket.close(1005)).toThrow(UsageError);
    expect(() => socket.close(2999)).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_CLOSE_CODE_ARG' }));
    expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ code: 'FW_ERR_REASON_TOO_LONG' }));
    socket.close(4000, 'é'.repeat(61));
    socket.close();
    expect(socket.closes).toEqual([
      [4000, 'é'.repeat(61)],
      [1000, ''],
    ]);
  });

  it('drained() resolves at once below highWaterMark, else on drain or close', async () => {
    const socket = new TestSocket();
    await socket.drained();
    expect(socket.drainWants).toBe(0);
    socket.buffered = 10;
    let done = false;
    const waiting = socket.drained().then(() => (done = true));
    expect(socket.drainWants).toBe(1);
    await flush();
    expect(done).toBe(false);
    socket.drain();
    await waiting;
    expect(socket.listenerCount('drain')).toBe(0);
    expect(socket.listenerCount('close')).toBe(0);
    const onClose = socket.drained();
    socket.end({ code: 1006, reason: '', wasClean: false });
    await onClose;
    await socket.drained();
  });

  it('counts sent messages and their bytes', () => {
    const socket = new TestSocket();
    socket.sent(5);
    socket.sent(0);
    expect(socket.messagesSent).toBe(2);
    expect(socket.bytesSent).toBe(5);
  });

  it('property: any interleaving of messages, listeners and iterator reads delivers every message once, in order', async () => {
    type Op = { kind: 'receive' } | { kind: 'listen' } | { kind: 'unlisten' } | { kind: 'next' } | { kind: 'tick' };
    const opArb = fc.oneof(
      fc.constant<Op>({ kind: 'receive' }),
      fc.constant<Op>({ kind: 'listen' }),
      fc.constant<Op>({ kind: 'unlisten' }),
      fc.constant<Op>({ kind: 'next' }),
      fc.constant<Op>({ kind: 'tick' }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const socket = new TestSocket();
        const delivered: string[] = [];
        const reads: Promise<IteratorResult<SessionMessage, undefined>>[] = [];
        const iterator = socket[Symbol.asyncIterator]();
        const listeners: ((data: SessionMessage) => void)[] = [];
        let sent = 0;
        for (const op of ops) {
          if (op.kind === 'receive') socket.receive(String(sent++));
          else if (op.kind === 'listen' && listeners.length === 0) {
            const listener = (data: SessionMessage): void => void delivered.push(data as string);
            listeners.push(listener);
            socket.on('message', listener);
          } else if (op.kind === 'unlisten' && listeners.length > 0) socket.off('message', listeners.pop()!);
          else if (op.kind === 'next') reads.push(iterator.next().then((result) => (result.done ? result : (delivered.push(result.value as string), result))));
          else if (op.kind === 'tick') await flush();
        }
        await flush();
        socket.end({ code: 1000, reason: '', wasClean: true });
        await Promise.all(reads);
        // Whatever was neither read nor heard is still held, in order; nothing is lost or doubled.
        const rest: string[] = [];
        for (let result = await iterator.next(); !result.done; result = await iterator.next()) rest.push(result.value as string);
        const all = [...delivered, ...rest].map(Number).sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: sent }, (_, i) => i));
        expect(rest).toEqual([...rest].sort((a, b) => Number(a) - Number(b)));
        expect(socket.messagesReceived).toBe(sent);
      }),
      { seed, numRuns },
    );
  });
});

describe('serveMessageOf', () => {
  it('keeps text as text and bytes as bytes; binary overrides', () => {
    expect(serveMessageOf('hé', undefined)).toBe('hé');
    expect([...(serveMessageOf('hé', true) as Uint8Array)]).toEqual([0x68, 0xc3, 0xa9]);
    expect(serveMessageOf(new Uint8Array([0x68, 0xc3, 0xa9]), false)).toBe('hé');
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    expect([...(serveMessageOf(buffer, undefined) as Uint8Array)]).toEqual([1, 2, 3, 4]);
    expect([...(serveMessageOf(new DataView(buffer, 1, 2), undefined) as Uint8Array)]).toEqual([2, 3]);
  });

  it('refuses bytes sent as text that are not UTF-8', () => {
    expect(() => serveMessageOf(new Uint8Array([0xff]), false)).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_ARGUMENT' }));
  });

  it('property: text sent as bytes and back is the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const bytes = serveMessageOf(text, true) as Uint8Array;
        expect(serveMessageOf(bytes, false)).toBe(text);
      }),
      { seed, numRuns },
    );
  });
});
