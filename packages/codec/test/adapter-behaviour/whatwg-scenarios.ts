// Scripted WebSocket scenarios that use only the web platform: the same
// script runs against framewire's WebSocket class and against a runtime's
// own (undici's on Node 20, the global one on Node 24, Deno and Bun), and
// each returns a trace of what the page-level code saw. The differential
// test compares the traces.

/** A `WebSocket` constructor, framewire's or a runtime's own. */
export type WebSocketClass = (new (url: string, protocols?: string | string[]) => WebSocket) & { readonly CLOSED: number };

/** One thing the script observed: an event with the state at that moment, or an exception. */
export interface TraceEntry {
  type: string;
  readyState: number;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  /** `kind:detail` of a message's data or a sent value: `string:hi`, `ArrayBuffer:3`, `Blob:3`. */
  data?: string;
  /** For `throw` entries: the DOMException name. */
  name?: string;
  /** A value the script checked (protocol, bufferedAmount > 0...). */
  value?: string | number | boolean;
}

/** The paths a scenario server answers (see `whatwgScenarioServer` in whatwg.suite.ts). */
export const PATHS = {
  echo: '/echo',
  serverClose: '/server-close', // the server closes with 4001 'bye' right after the handshake
  drop: '/drop', // the server destroys the TCP connection right after the handshake
  reject: '/reject', // the handshake is refused with 403
} as const;

async function describeData(data: unknown): Promise<string> {
  if (typeof data === 'string') return `string:${data}`;
  if (data instanceof ArrayBuffer) return `ArrayBuffer:${Array.from(new Uint8Array(data)).join(',')}`;
  if (typeof Blob === 'function' && data instanceof Blob) return `Blob:${Array.from(new Uint8Array(await data.arrayBuffer())).join(',')}`;
  return `other:${Object.prototype.toString.call(data)}`;
}

/** Run `script` on a recorder for `ws`; resolves with the trace once `close` fired (10 s at most). */
function record(ws: WebSocket, script: (ws: WebSocket, trace: TraceEntry[]) => void): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  const messages: Promise<void>[] = [];
  return new Promise<TraceEntry[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close event within 10 s; trace: ${JSON.stringify(trace)}`)), 10_000);
    ws.addEventListener('open', () => trace.push({ type: 'open', readyState: ws.readyState }));
    ws.addEventListener('error', () => trace.push({ type: 'error', readyState: ws.readyState }));
    ws.addEventListener('message', (event) => {
      const entry: TraceEntry = { type: 'message', readyState: ws.readyState };
      trace.push(entry);
      messages.push(describeData((event as MessageEvent).data).then((d) => void (entry.data = d)));
    });
    ws.addEventListener('close', (event) => {
      const close = event as CloseEvent;
      trace.push({ type: 'close', readyState: ws.readyState, code: close.code, reason: close.reason, wasClean: close.wasClean });
      clearTimeout(timer);
      void Promise.all(messages).then(() => resolve(trace));
    });
    script(ws, trace);
  });
}

/** Call `fn`; record the DOMException name it throws, or `none`. */
function attempt(ws: WebSocket, trace: TraceEntry[], what: string, fn: () => void): void {
  try {
    fn();
    trace.push({ type: `throw:${what}`, readyState: ws.readyState, name: 'none' });
  } catch (error) {
    trace.push({ type: `throw:${what}`, readyState: ws.readyState, name: (error as Error).name });
  }
}

/** When the next message arrives, run `fn`. */
function onNextMessage(ws: WebSocket, fn: () => void): void {
  ws.addEventListener('message', () => fn(), { once: true });
}

/** Every scenario, by name: each takes the constructor and the server's base URL (`ws://127.0.0.1:port`). */
export const scenarios: Record<string, (WS: WebSocketClass, base: string) => Promise<TraceEntry[]>> = {
  'open, text echo, close 1000 with a reason': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws, trace) => {
      ws.onopen = () => {
        trace.push({ type: 'check:protocol', readyState: ws.readyState, value: ws.protocol });
        ws.send('héllo ✓');
      };
      onNextMessage(ws, () => ws.close(1000, 'done'));
    }),

  'binary with binaryType arraybuffer (ArrayBuffer, view and Blob sent)': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws) => {
      ws.binaryType = 'arraybuffer';
      let left = 3;
      ws.onopen = () => {
        ws.send(new Uint8Array([1, 2, 3]).buffer);
        ws.send(new Uint16Array([0x0504]).subarray(0, 1));
        ws.send(new Blob([new Uint8Array([6, 7])]));
      };
      ws.onmessage = () => {
        if (--left === 0) ws.close();
      };
    }),

  'binary with the default binaryType blob': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws, trace) => {
      trace.push({ type: 'check:binaryType', readyState: ws.readyState, value: ws.binaryType });
      ws.binaryType = 'nonsense' as 'blob'; // an invalid enum value is ignored (WebIDL)
      trace.push({ type: 'check:binaryType-after-invalid', readyState: ws.readyState, value: ws.binaryType });
      ws.onopen = () => ws.send(new Uint8Array([9, 8, 7]));
      onNextMessage(ws, () => ws.close(4000));
    }),

  'send before open throws InvalidStateError': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws, trace) => {
      attempt(ws, trace, 'send-connecting', () => ws.send('early'));
      ws.onopen = () => ws.close();
    }),

  'close codes and reasons: invalid ones throw, a valid one closes': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws, trace) => {
      ws.onopen = () => {
        attempt(ws, trace, 'close-1001', () => ws.close(1001));
        attempt(ws, trace, 'close-2999', () => ws.close(2999));
        attempt(ws, trace, 'close-5000', () => ws.close(5000));
        attempt(ws, trace, 'close-reason-124-bytes', () => ws.close(1000, 'x'.repeat(124)));
        attempt(ws, trace, 'close-reason-62-two-byte-chars', () => ws.close(3000, 'é'.repeat(62)));
        trace.push({ type: 'check:after-close', readyState: ws.readyState });
        attempt(ws, trace, 'close-1000', () => ws.close(1000));
        attempt(ws, trace, 'send-while-closing', () => ws.send('late'));
      };
    }),

  'the server closes with 4001 and a reason': (WS, base) => record(new WS(`${base}${PATHS.serverClose}`), () => {}),

  'the server drops the connection': (WS, base) => record(new WS(`${base}${PATHS.drop}`), () => {}),

  'a refused handshake fails the connection': (WS, base) => record(new WS(`${base}${PATHS.reject}`), () => {}),

  'close() while connecting fails the connection': (WS, base) => record(new WS(`${base}${PATHS.echo}`), (ws) => ws.close()),

  'subprotocol selection': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`, ['unknown.v0', 'chat.v2', 'chat.v1']), (ws, trace) => {
      ws.onopen = () => {
        trace.push({ type: 'check:protocol', readyState: ws.readyState, value: ws.protocol });
        ws.close();
      };
    }),

  'bufferedAmount grows on send and drains to 0': (WS, base) =>
    record(new WS(`${base}${PATHS.echo}`), (ws, trace) => {
      ws.onopen = () => {
        trace.push({ type: 'check:bufferedAmount-before', readyState: ws.readyState, value: ws.bufferedAmount });
        ws.send('x'.repeat(4 * 1024 * 1024));
        trace.push({ type: 'check:bufferedAmount-grew', readyState: ws.readyState, value: ws.bufferedAmount > 0 });
      };
      ws.onmessage = (event) => {
        trace.push({ type: 'check:echo-length', readyState: ws.readyState, value: (event.data as string).length });
        trace.push({ type: 'check:bufferedAmount-drained', readyState: ws.readyState, value: ws.bufferedAmount });
        ws.close();
        ws.send('after close'); // not sent, but counted (the standard)
        trace.push({ type: 'check:bufferedAmount-after-close-send', readyState: ws.readyState, value: ws.bufferedAmount });
      };
    }),
};

/** Constructor arguments the standard rejects, with what is thrown (or the URL it maps to). */
export function constructorChecks(WS: WebSocketClass, base: string): Record<string, string> {
  const out: Record<string, string> = {};
  const cases: Record<string, [string, (string | string[])?]> = {
    'relative URL': ['/path'],
    'not a URL': ['not a url'],
    'ftp scheme': ['ftp://127.0.0.1/'],
    'fragment': [`${base}/#frag`],
    'empty fragment': [`${base}/#`],
    'repeated subprotocol': [`${base}${PATHS.reject}`, ['a', 'a']],
    'subprotocol with a space': [`${base}${PATHS.reject}`, ['a b']],
    'empty subprotocol': [`${base}${PATHS.reject}`, ['']],
    'http maps to ws': [`${base.replace('ws:', 'http:')}${PATHS.reject}`],
  };
  for (const [name, [url, protocols]] of Object.entries(cases)) {
    try {
      const ws = protocols === undefined ? new WS(url) : new WS(url, protocols);
      out[name] = `url:${ws.url.replace(base.replace('ws://', ''), 'HOST')}`;
      ws.onerror = () => {};
      ws.close();
    } catch (error) {
      out[name] = `throws:${(error as Error).name}`;
    }
  }
  return out;
}

/** A `WebSocketStream` constructor, framewire's or a browser's own. */
export type WebSocketStreamClass = new (url: string, options?: { protocols?: string[]; signal?: AbortSignal }) => {
  readonly opened: Promise<{ readable: ReadableStream<unknown>; writable: WritableStream<unknown>; protocol: string; extensions: string }>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  close(info?: { closeCode?: number; reason?: string }): void;
};

const kindOf = (value: unknown): string =>
  typeof value === 'string' ? `string:${value}` : value instanceof Uint8Array ? `Uint8Array:${Array.from(value).join(',')}` : value instanceof ArrayBuffer ? `ArrayBuffer:${Array.from(new Uint8Array(value)).join(',')}` : `other:${Object.prototype.toString.call(value)}`;
const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    (value) => `resolved:${JSON.stringify(value)}`,
    (error: { name?: string; closeCode?: number | null }) => `rejected:${error?.name}${error?.closeCode === undefined ? '' : `:${error.closeCode}`}`,
  );
const thrownBy = (fn: () => void): string => {
  try {
    fn();
    return 'none';
  } catch (error) {
    return (error as Error).name;
  }
};

/** WebSocketStream scenarios: each returns what the script observed, in order. */
export const streamScenarios: Record<string, (WSS: WebSocketStreamClass, base: string) => Promise<string[]>> = {
  'stream: echo of text and bytes, close with a code and reason': async (WSS, base) => {
    const seen: string[] = [];
    const wss = new WSS(`${base}${PATHS.echo}`, { protocols: ['chat.v2'] });
    const { readable, writable, protocol, extensions } = await wss.opened;
    seen.push(`protocol:${protocol}`, `extensions:${extensions}`);
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('text ✓');
    await writer.write(new Uint8Array([1, 2, 3]));
    seen.push(kindOf((await reader.read()).value), kindOf((await reader.read()).value));
    seen.push(`close-1001:${thrownBy(() => wss.close({ closeCode: 1001 }))}`);
    seen.push(`close-long-reason:${thrownBy(() => wss.close({ closeCode: 1000, reason: 'x'.repeat(124) }))}`);
    wss.close({ closeCode: 4000, reason: 'bye' });
    seen.push(`closed:${await outcome(wss.closed)}`);
    seen.push(`read-after-close:${JSON.stringify(await reader.read().then((r) => r.done, () => 'error'))}`);
    return seen;
  },
  'stream: the server closes with 4001 and a reason': async (WSS, base) => {
    const wss = new WSS(`${base}${PATHS.serverClose}`);
    const { readable } = await wss.opened;
    const done = await readable.getReader().read().then((r) => `done:${r.done}`, (error: Error) => `error:${error.name}`);
    return [done, `closed:${await outcome(wss.closed)}`];
  },
  'stream: a refused handshake rejects opened and closed': async (WSS, base) => {
    const wss = new WSS(`${base}${PATHS.reject}`);
    return [`opened:${await outcome(wss.opened)}`, `closed:${await outcome(wss.closed)}`];
  },
  'stream: the server drops the connection': async (WSS, base) => {
    const wss = new WSS(`${base}${PATHS.drop}`);
    const { readable } = await wss.opened;
    const read = await readable.getReader().read().then((r) => `done:${r.done}`, (error: Error) => `error:${error.name}`);
    return [read, `closed:${await outcome(wss.closed)}`];
  },
};
