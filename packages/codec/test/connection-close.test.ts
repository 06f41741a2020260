import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { encodeClosePayload, parseClosePayload } from '../src/protocol/close-payload.js';
import { ProtocolError, UsageError } from '../src/protocol/errors.js';
import { Opcode } from '../src/protocol/opcode.js';
import { decodeOutput, drainEvents, makeConnection, manualNow, peerFrame } from './connection-helpers.js';

const closeBody = (code: number, reason = ''): Uint8Array => {
  const r = new TextEncoder().encode(reason);
  const b = new Uint8Array(2 + r.length);
  b[0] = code >> 8;
  b[1] = code & 0xff;
  b.set(r, 2);
  return b;
};
const codeOf = (payload: Uint8Array): number | undefined => (payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined);

describe('close handshake (RFC 6455 §7.1)', () => {
  it('server closes, client echoes: the server ends the transport, closed is clean after EOF', () => {
    const clock = manualNow(100);
    const s = makeConnection('server', { now: clock.now, closeTimeout: 1000 });
    s.close(1000, 'bye');
    expect(s.state).toBe('closing');
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => [f.opcode, codeOf(f.payload)])).toEqual([[8, 1000]]);
    expect(s.pollTimeout()).toBe(1100);
    expect(s.closeTransport).toBe(false);
    s.receive(peerFrame('server', { opcode: Opcode.Close, payload: closeBody(1000) }));
    expect(drainEvents(s)).toEqual([{ type: 'close', code: 1000, reason: '' }]);
    expect(s.takeOutput()).toEqual([]); // no second close frame
    expect(s.closeTransport).toBe(true);
    s.receiveEof();
    expect(drainEvents(s)).toEqual([{ type: 'closed', code: 1000, reason: '', wasClean: true }]);
    expect(s.state).toBe('closed');
    expect(s.pollTimeout()).toBeUndefined();
  });

  it('client closes, server echoes: the client waits for the server to end TCP, up to closeTimeout', () => {
    const clock = manualNow(0);
    const c = makeConnection('client', { now: clock.now, closeTimeout: 500 });
    c.close(3001, 'done');
    c.takeOutput();
    clock.set(200);
    c.receive(peerFrame('client', { opcode: Opcode.Close, payload: closeBody(3001) }));
    expect(c.closeTransport).toBe(false);
    expect(drainEvents(c)).toEqual([{ type: 'close', code: 3001, reason: '' }]);
    expect(c.pollTimeout()).toBe(700);
    c.handleTimeout(699);
    expect(c.closeTransport).toBe(false);
    c.handleTimeout(700);
    expect(c.closeTransport).toBe(true);
    expect(drainEvents(c)).toEqual([{ type: 'closed', code: 3001, reason: '', wasClean: true }]);
    c.receiveEof(); // later EOF changes nothing
    expect(drainEvents(c)).toEqual([]);
  });

  it('peer closes first: we echo the code, report close, and refuse to send afterwards', () => {
    const s = makeConnection('server');
    s.receive(peerFrame('server', { opcode: Opcode.Close, payload: closeBody(4001, 'why') }));
    expect(drainEvents(s)).toEqual([{ type: 'close', code: 4001, reason: 'why' }]);
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => Array.from(f.payload))).toEqual([[0x0f, 0xa1]]);
    expect(s.closeTransport).toBe(true);
    expect(() => s.sendText('x')).toThrow(expect.objectContaining({ code: 'FW_ERR_CLOSED' }));
    expect(() => s.ping()).toThrow(UsageError);
    s.close(1000); // no-op: our close was sent
    expect(s.takeOutput()).toEqual([]);
  });

  it('close timeout: no answer from the peer gives closed 1006, not clean, and ends the transport', () => {
    const clock = manualNow(0);
    const c = makeConnection('client', { now: clock.now, closeTimeout: 50 });
    c.close();
    c.handleTimeout(50);
    expect(c.closeTransport).toBe(true);
    expect(drainEvents(c)).toEqual([{ type: 'closed', code: 1006, reason: '', wasClean: false }]);
  });

  it('validates close arguments', () => {
    const c = makeConnection('client');
    for (const code of [999, 1001, 1005, 1006, 1015, 2999, 5000]) {
      expect(() => c.close(code)).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_CLOSE_CODE_ARG' }));
    }
    expect(() => c.close(1000, 'x'.repeat(124))).toThrow(expect.objectContaining({ code: 'FW_ERR_REASON_TOO_LONG' }));
    expect(() => c.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ code: 'FW_ERR_REASON_TOO_LONG' }));
    expect(() => c.closeWithLibraryCode(1005)).toThrow(UsageError);
    expect(c.takeOutput()).toEqual([]);
    c.closeWithLibraryCode(1001, 'é'.repeat(61)); // 122 bytes: fits
    expect(decodeOutput(c.takeOutput(), 'client').map((f) => codeOf(f.payload))).toEqual([1001]);
  });
});

describe('protocol failure (RFC 6455 §7.1.7)', () => {
  it('sends the close code first, reports the error once, discards input, and ends unclean', () => {
    const s = makeConnection('server');
    s.receive(peerFrame('server', { opcode: 0x3 }));
    s.receive(peerFrame('server', { opcode: Opcode.Text, payload: 'ignored' }));
    s.receive(peerFrame('server', { opcode: 0x4 }));
    const events = drainEvents(s);
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => [f.opcode, codeOf(f.payload)])).toEqual([[8, 1002]]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: { code: 'FW_ERR_RESERVED_OPCODE', closeCode: 1002 } });
    expect(s.closeTransport).toBe(true);
    expect(s.state).toBe('closing');
    s.receiveEof();
    expect(drainEvents(s)).toEqual([{ type: 'closed', code: 1002, reason: '', wasClean: false }]);
  });

  it('an abrupt end is 1006', () => {
    const c = makeConnection('client');
    c.receive(peerFrame('client', { opcode: Opcode.Text, payload: 'x' }));
    c.receiveEof();
    expect(drainEvents(c).map((e) => e.type === 'closed' ? e.code : e.type)).toEqual(['text', 1006]);
  });
});

describe('timers as data', () => {
  it('has no timeout without heartbeat, idle timeout or a pending close', () => {
    expect(makeConnection('server').pollTimeout()).toBeUndefined();
  });

  it('heartbeat: pings after interval of silence; a pong keeps the connection', () => {
    const clock = manualNow(0);
    const c = new Connection({ role: 'client', now: clock.now, heartbeat: { interval: 1000, timeout: 300 } });
    expect(c.pollTimeout()).toBe(1000);
    clock.set(1000);
    c.handleTimeout(1000);
    expect(decodeOutput(c.takeOutput(), 'client').map((f) => f.opcode)).toEqual([Opcode.Ping]);
    expect(c.pollTimeout()).toBe(1300);
    clock.set(1200);
    c.receive(peerFrame('client', { opcode: Opcode.Pong }));
    expect(c.pollTimeout()).toBe(2200);
    c.handleTimeout(1300);
    expect(c.state).toBe('open');
    expect(drainEvents(c).map((e) => e.type)).toEqual(['pong']);
  });

  it('heartbeat: incoming data also proves the peer alive', () => {
    const clock = manualNow(0);
    const c = new Connection({ role: 'server', now: clock.now, heartbeat: { interval: 100, timeout: 50 } });
    clock.set(90);
    c.receive(peerFrame('server', { opcode: Opcode.Text, payload: 'x' }));
    expect(c.pollTimeout()).toBe(190);
    c.handleTimeout(100);
    expect(c.takeOutput()).toEqual([]);
  });

  it('heartbeat: a dead peer gives closed 1006, not clean, and ends the transport', () => {
    const clock = manualNow(0);
    const c = new Connection({ role: 'server', now: clock.now, heartbeat: { interval: 100, timeout: 50 } });
    c.handleTimeout(100);
    c.takeOutput();
    c.handleTimeout(149);
    expect(c.state).toBe('open');
    c.handleTimeout(150);
    expect(c.closeTransport).toBe(true);
    expect(drainEvents(c)).toEqual([{ type: 'closed', code: 1006, reason: '', wasClean: false }]);
    expect(c.state).toBe('closed');
    c.receiveEof();
    expect(drainEvents(c)).toEqual([]);
  });

  it('idle timeout closes with 1001 after no traffic in either direction', () => {
    const clock = manualNow(0);
    const c = new Connection({ role: 'server', now: clock.now, idleTimeout: 1000, closeTimeout: 100 });
    clock.set(600);
    c.sendText('x'); // our traffic counts
    c.takeOutput();
    expect(c.pollTimeout()).toBe(1600);
    clock.set(1600);
    c.handleTimeout(1600);
    const frames = decodeOutput(c.takeOutput(), 'server');
    expect(frames.map((f) => [f.opcode, codeOf(f.payload)])).toEqual([[8, 1001]]);
    expect(c.pollTimeout()).toBe(1700);
  });
});

describe('close payload (RFC 6455 §5.5.1)', () => {
  it('round-trips code and reason', () => {
    for (const [code, reason] of [[1000, ''], [1001, 'bye'], [4999, 'é😀'], [3000, 'x'.repeat(123)]] as const) {
      expect(parseClosePayload(encodeClosePayload(code, reason))).toEqual({ code, reason });
    }
    expect(encodeClosePayload()).toEqual(new Uint8Array(0));
    expect(parseClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: '' });
  });

  it('returns (never throws) a ProtocolError with the right close code for bad bodies', () => {
    const cases: [number[], number][] = [
      [[0x03], 1002],
      [[0x03, 0xed], 1002], // 1005
      [[0x13, 0x88], 1002], // 5000
      [[0x03, 0xe8, 0xc0, 0xaf], 1007],
    ];
    for (const [bytes, code] of cases) {
      const result = parseClosePayload(Uint8Array.from(bytes));
      expect(result).toBeInstanceOf(ProtocolError);
      expect((result as ProtocolError).closeCode).toBe(code);
    }
  });

  it('refuses to encode a reason over 123 bytes or a reason without a code', () => {
    expect(() => encodeClosePayload(1000, 'x'.repeat(124))).toThrow(UsageError);
    expect(() => encodeClosePayload(undefined, 'x')).toThrow(UsageError);
    expect(() => encodeClosePayload(70000)).toThrow(UsageError);
  });
});

describe('truncateCloseReason', () => {
  it('keeps what fits in 123 UTF-8 bytes and never splits a character', async () => {
    const { truncateCloseReason } = await import('../src/protocol/close-payload.js');
    const bytes = (s: string): number => new TextEncoder().encode(s).length;
    expect(truncateCloseReason('bye')).toBe('bye');
    expect(truncateCloseReason('x'.repeat(200))).toBe('x'.repeat(123));
    expect(truncateCloseReason('😀'.repeat(40))).toBe('😀'.repeat(30));
    expect(bytes(truncateCloseReason('a' + 'é'.repeat(100)))).toBe(123);
    expect(bytes(truncateCloseReason('ab' + 'é'.repeat(100)))).toBe(122);
  });
});
