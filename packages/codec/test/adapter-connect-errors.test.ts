import { describe, expect, it } from 'vitest';
import { ConnectError, HandshakeStatusError, connectErrorFrom, headerRecord } from '../src/session/connect-errors.js';
import { HandshakeError } from '../src/protocol/handshake-error.js';
import { HttpHeaders } from '../src/protocol/header-tokens.js';
import { HandshakeTimeoutError } from '../src/session/upgrade-client.js';

const HREF = 'ws://example.test/chat';

describe('adapter toolkit: connect errors', () => {
  it('maps a handshake timeout to FW_ERR_HANDSHAKE_TIMEOUT, keeping the cause', () => {
    const cause = new HandshakeTimeoutError(250);
    const error = connectErrorFrom(HREF, cause);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe('FW_ERR_HANDSHAKE_TIMEOUT');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('250 ms');
  });

  it('maps an EOF before the response to FW_ERR_CONNECTION_CLOSED', () => {
    const error = connectErrorFrom(HREF, new HandshakeError('FW_ERR_HANDSHAKE_EOF', 'Connection ended'));
    expect(error.code).toBe('FW_ERR_CONNECTION_CLOSED');
    expect(error.message).toContain(HREF);
  });

  it('maps a non-101 status to a HandshakeStatusError with lower-cased, joined headers and the body (RFC 6455 §4.1)', () => {
    const headers = new HttpHeaders([
      ['WWW-Authenticate', 'Bearer'],
      ['X-Reason', 'a'],
      ['x-reason', 'b'],
    ]);
    const body = new TextEncoder().encode('go away');
    const error = connectErrorFrom(HREF, new HandshakeError('FW_ERR_HANDSHAKE_STATUS', 'status 401', 401, headers, body));
    expect(error).toBeInstanceOf(HandshakeStatusError);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.name).toBe('HandshakeStatusError');
    expect(error.code).toBe('FW_ERR_HANDSHAKE_STATUS');
    const status = error as HandshakeStatusError;
    expect(status.status).toBe(401);
    expect(status.headers).toEqual({ 'www-authenticate': 'Bearer', 'x-reason': 'a, b' });
    expect(new TextDecoder().decode(status.body)).toBe('go away');
  });

  it('maps any other handshake failure (bad accept key, extension, subprotocol) to FW_ERR_HANDSHAKE_INVALID', () => {
    for (const code of ['FW_ERR_HANDSHAKE_ACCEPT', 'FW_ERR_HANDSHAKE_EXTENSION', 'FW_ERR_HANDSHAKE_PROTOCOL'] as const) {
      const cause = new HandshakeError(code, 'broken', 101);
      const error = connectErrorFrom(HREF, cause, true);
      expect(error.code).toBe('FW_ERR_HANDSHAKE_INVALID');
      expect(error.cause).toBe(cause);
    }
    // A status error without a parsed status is invalid too, not a HandshakeStatusError.
    expect(connectErrorFrom(HREF, new HandshakeError('FW_ERR_HANDSHAKE_STATUS', 'no status')).code).toBe('FW_ERR_HANDSHAKE_INVALID');
  });

  it('blames TLS for a failure that is no handshake error only over wss://', () => {
    const cause = new Error('certificate has expired');
    expect(connectErrorFrom(HREF, cause, true).code).toBe('FW_ERR_TLS');
    expect(connectErrorFrom(HREF, cause, false).code).toBe('FW_ERR_HANDSHAKE_INVALID');
  });

  it('passes a ConnectError through unchanged', () => {
    const original = new ConnectError('FW_ERR_CONNECTION_FAILED', 'refused');
    expect(connectErrorFrom(HREF, original, true)).toBe(original);
  });

  it('headerRecord of nothing is empty', () => {
    expect(headerRecord(undefined)).toEqual({});
    expect(headerRecord([['A', '1'], ['a', '2'], ['B', '3']])).toEqual({ a: '1, 2', b: '3' });
  });
});
