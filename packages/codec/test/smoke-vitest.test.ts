import { describe, expect, it } from 'vitest';
import { isValidApiCloseCode, isValidWireCloseCode } from '../src/protocol/close-code.js';

describe('close codes (RFC 6455 §7.4)', () => {
  it('separates wire validity from API validity', () => {
    expect(isValidWireCloseCode(1001)).toBe(true);
    expect(isValidApiCloseCode(1001)).toBe(false);
    expect(isValidWireCloseCode(1005)).toBe(false);
  });
});
