// What the WHATWG WebSockets standard asks each scripted scenario
// (whatwg-scenarios.ts) to observe against the scenario server, and the
// differences of runtimes' own WebSockets from it, each with the
// standard's text that decides it.
import type { TraceEntry } from './whatwg-scenarios.js';

const open: TraceEntry = { type: 'open', readyState: 1 };
const closed = (code: number, reason = '', wasClean = true): TraceEntry => ({ type: 'close', readyState: 3, code, reason, wasClean });
const message = (data: string): TraceEntry => ({ type: 'message', readyState: 1, data });
const failed: TraceEntry[] = [{ type: 'error', readyState: 3 }, closed(1006, '', false)];
const thrown = (what: string, name: string, readyState = 1): TraceEntry => ({ type: `throw:${what}`, readyState, name });

/** The trace the standard asks for, by scenario name. */
export const expectedTraces: Record<string, TraceEntry[]> = {
  'open, text echo, close 1000 with a reason': [
    open,
    { type: 'check:protocol', readyState: 1, value: '' },
    message('string:héllo ✓'),
    // The server's close frame echoes our code; its reason is its own (RFC 6455 §5.5.1).
    closed(1000),
  ],
  'binary with binaryType arraybuffer (ArrayBuffer, view and Blob sent)': [
    open,
    message('ArrayBuffer:1,2,3'),
    message('ArrayBuffer:4,5'),
    message('ArrayBuffer:6,7'),
    // close() without a code sends a close frame without a body: 1005 (RFC 6455 §7.1.5).
    closed(1005),
  ],
  'binary with the default binaryType blob': [
    { type: 'check:binaryType', readyState: 0, value: 'blob' },
    { type: 'check:binaryType-after-invalid', readyState: 0, value: 'blob' },
    open,
    message('Blob:9,8,7'),
    closed(4000),
  ],
  'send before open throws InvalidStateError': [thrown('send-connecting', 'InvalidStateError', 0), open, closed(1005)],
  'close codes and reasons: invalid ones throw, a valid one closes': [
    open,
    thrown('close-1001', 'InvalidAccessError'),
    thrown('close-2999', 'InvalidAccessError'),
    thrown('close-5000', 'InvalidAccessError'),
    thrown('close-reason-124-bytes', 'SyntaxError'),
    thrown('close-reason-62-two-byte-chars', 'SyntaxError'),
    { type: 'check:after-close', readyState: 1 },
    thrown('close-1000', 'none', 2),
    thrown('send-while-closing', 'none', 2),
    closed(1000),
  ],
  'the server closes with 4001 and a reason': [open, closed(4001, 'bye')],
  // Lost without a closing handshake: 1006, and no error event (the connection was not failed; Chromium agrees).
  'the server drops the connection': [open, closed(1006, '', false)],
  'a refused handshake fails the connection': failed,
  'close() while connecting fails the connection': failed,
  // The scenario server's policy picks its own first choice among the offers (RFC 6455 §4.2.2 leaves the pick to the server).
  'subprotocol selection': [open, { type: 'check:protocol', readyState: 1, value: 'chat.v1' }, closed(1005)],
  'bufferedAmount grows on send and drains to 0': [
    open,
    { type: 'check:bufferedAmount-before', readyState: 1, value: 0 },
    { type: 'check:bufferedAmount-grew', readyState: 1, value: true },
    message(`string:${'x'.repeat(4 * 1024 * 1024)}`),
    { type: 'check:echo-length', readyState: 1, value: 4 * 1024 * 1024 },
    { type: 'check:bufferedAmount-drained', readyState: 1, value: 0 },
    // "If the data cannot be sent … the user agent must … increase the bufferedAmount" (send() steps): 11 bytes.
    { type: 'check:bufferedAmount-after-close-send', readyState: 2, value: 11 },
    closed(1005),
  ],
};

/** What framewire's WebSocketStream observes in each stream scenario. */
export const expectedStreamTraces: Record<string, string[]> = {
  'stream: echo of text and bytes, close with a code and reason': [
    'protocol:chat.v2',
    'extensions:',
    'string:text ✓',
    'Uint8Array:1,2,3',
    'close-1001:InvalidAccessError',
    'close-long-reason:SyntaxError',
    // The server's close frame echoes our code without a reason (RFC 6455 §5.5.1).
    'closed:resolved:{"closeCode":4000,"reason":""}',
    'read-after-close:true',
  ],
  'stream: the server closes with 4001 and a reason': ['done:true', 'closed:resolved:{"closeCode":4001,"reason":"bye"}'],
  // opened: a WebSocketError without a code (the handshake failed); closed: 1006 (RFC 6455 §7.1.5).
  'stream: a refused handshake rejects opened and closed': ['opened:rejected:WebSocketError:null', 'closed:rejected:WebSocketError:1006'],
  'stream: the server drops the connection': ['error:WebSocketError', 'closed:rejected:WebSocketError:1006'],
};

/** A runtime's own WebSocket that differs from the standard in a scenario, and the standard's text that decides it. */
export interface KnownDifference {
  readonly why: string;
  readonly trace?: TraceEntry[];
  readonly checks?: Record<string, string>;
  /** For a WebSocketStream scenario: what the runtime observes instead. */
  readonly stream?: string[];
}

/** By runtime name (`undici`, `node24`, `deno`, `bun`), then scenario name. */
/** The expected trace of `scenario` with `change` applied to each entry. */
function variant(scenario: string, change: (entry: TraceEntry) => TraceEntry): TraceEntry[] {
  return expectedTraces[scenario]!.map((entry) => change({ ...entry }));
}

const BUFFERED_AFTER_CLOSE: KnownDifference = {
  why:
    'send() once CLOSING is ignored without counting the bytes. The standard, bufferedAmount: "In the event that an attempt ' +
    "to send data was made after the connection is closed, this attribute's value will only increase with each call to the " +
    'send() method (the number does not reset to zero once the connection closes)."',
  trace: variant('bufferedAmount grows on send and drains to 0', (entry) =>
    entry.type === 'check:bufferedAmount-after-close-send' ? { ...entry, value: 0 } : entry,
  ),
};

const ERROR_ON_LOSS: KnownDifference = {
  why:
    'an error event fires before close when the connection is lost without a closing handshake. The standard fires error ' +
    'only "If the user agent was required to fail the WebSocket connection, or if the WebSocket connection was closed after ' +
    'being flagged as full"; a lost TCP connection is neither (RFC 6455 §7.1.5 gives it code 1006 without failing it), and ' +
    'Chromium fires no error there.',
  trace: [open, { type: 'error', readyState: 3 }, closed(1006, '', false)],
};

/** Deno reports close code 0 when the connection was never open or was lost. */
const codeZero = (scenario: string): KnownDifference => ({
  why:
    'the close event has code 0. The standard fires close with "the WebSocket connection close code", and RFC 6455 §7.1.5: ' +
    '"If _The WebSocket Connection is Closed_ and no Close control frame was received by the endpoint (such as could occur if ' +
    'the underlying transport connection is lost), _The WebSocket Connection Close Code_ is considered to be 1006."',
  trace: variant(scenario, (entry) => (entry.type === 'close' ? { ...entry, code: 0 } : entry)),
});

export const knownDifferences: Record<string, Record<string, KnownDifference>> = {
  chromium: {
    'stream: echo of text and bytes, close with a code and reason': {
      why:
        "Chromium's WebSocketStream hands binary messages out as ArrayBuffers. The WICG explainer: \"Binary messages appear as " +
        'Uint8Array objects." and "An older version of this explainer had the readable stream producing ArrayBuffer chunks. ' +
        'This was changed to Uint8Array chunks" (Deno\'s WebSocketStream gives Uint8Array too).',
      stream: expectedStreamTraces['stream: echo of text and bytes, close with a code and reason']!.map((line) =>
        line.startsWith('Uint8Array:') ? line.replace('Uint8Array:', 'ArrayBuffer:') : line,
      ),
    },
  },
  undici: { 'bufferedAmount grows on send and drains to 0': BUFFERED_AFTER_CLOSE, 'the server drops the connection': ERROR_ON_LOSS },
  node24: { 'bufferedAmount grows on send and drains to 0': BUFFERED_AFTER_CLOSE, 'the server drops the connection': ERROR_ON_LOSS },
  deno: {
    'bufferedAmount grows on send and drains to 0': BUFFERED_AFTER_CLOSE,
    'the server drops the connection': {
      why: `${ERROR_ON_LOSS.why} And ${codeZero('the server drops the connection').why}`,
      trace: ERROR_ON_LOSS.trace!.map((entry) => (entry.type === 'close' ? { ...entry, code: 0 } : entry)),
    },
    'a refused handshake fails the connection': codeZero('a refused handshake fails the connection'),
    'close() while connecting fails the connection': codeZero('close() while connecting fails the connection'),
  },
  bun: {
    'binary with the default binaryType blob': {
      why:
        "Bun's binaryType starts as 'nodebuffer' and messages arrive as Buffers. The standard: \"When a WebSocket object is " +
        "created, its binaryType attribute must be set to the string 'blob'\" (and 'nodebuffer' is not a BinaryType value).",
      trace: variant('binary with the default binaryType blob', (entry) =>
        entry.type.startsWith('check:binaryType')
          ? { ...entry, value: 'nodebuffer' }
          : entry.type === 'message'
            ? { ...entry, data: 'other:[object Uint8Array]' }
            : entry,
      ),
    },
    'close codes and reasons: invalid ones throw, a valid one closes': {
      why:
        'close(1001) is accepted and sent. The standard, close() step 1: "If code is present, but is neither an integer equal ' +
        'to 1000 nor an integer in the range 3000 to 4999, inclusive, throw an InvalidAccessError DOMException." ' +
        '(Every later line differs only because that close went out.)',
      trace: variant('close codes and reasons: invalid ones throw, a valid one closes', (entry) => {
        if (entry.type === 'close') return { ...entry, code: 1001 };
        if (entry.type === 'throw:close-1001') return { ...entry, readyState: 2, name: 'none' };
        if (entry.type.startsWith('throw:') || entry.type.startsWith('check:')) return { ...entry, readyState: 2 };
        return entry;
      }),
    },
  },
};
