import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PAYLOAD,
  connectionSettings,
  deflateNegotiators,
  sessionSettings,
  upgradeOptions,
  type AdapterRuntime,
} from '../src/adapter/adapter-options.js';
import type { Compressor } from '../src/protocol/compressor.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { defaultUtf8ValidatorFactory } from '../src/protocol/utf8.js';

const clock = new ManualClock();

describe('adapter toolkit: option mapping', () => {
  it('connection settings: 16 MiB message limit by default, only the given fields, the runtime UTF-8 hook', () => {
    expect(DEFAULT_MAX_PAYLOAD).toBe(16 * 1024 * 1024);
    expect(connectionSettings({}, { scheduler: clock })).toEqual({ maxMessageSize: DEFAULT_MAX_PAYLOAD });
    const utf8 = defaultUtf8ValidatorFactory;
    const settings = connectionSettings(
      { maxPayload: 1000, maxFrameSize: 100, closeTimeout: 50, heartbeat: { interval: 10, timeout: 5 }, idleTimeout: 70, highWaterMark: 9 },
      { scheduler: clock, utf8 },
    );
    expect(settings).toEqual({ maxMessageSize: 1000, maxFrameSize: 100, closeTimeout: 50, heartbeat: { interval: 10, timeout: 5 }, idleTimeout: 70, utf8 });
  });

  it('session settings carry only the session fields that were given', () => {
    expect(sessionSettings({})).toEqual({});
    const onListenerError = (): void => {};
    expect(
      sessionSettings({
        highWaterMark: 1,
        maxBufferedAmount: 2,
        binaryType: 'arraybuffer',
        receiveHighWaterMessages: 3,
        receiveHighWaterBytes: 4,
        onListenerError,
        maxPayload: 5,
        closeTimeout: 6,
      }),
    ).toEqual({ highWaterMark: 1, maxBufferedAmount: 2, binaryType: 'arraybuffer', receiveHighWaterMessages: 3, receiveHighWaterBytes: 4, onListenerError });
  });

  it('permessage-deflate: off for false, the default for undefined, with a fresh runtime compressor each time (RFC 7692)', () => {
    let made = 0;
    const runtime: AdapterRuntime = {
      scheduler: clock,
      compressor: (): Compressor => {
        made += 1;
        return pakoCompressor();
      },
    };
    expect(deflateNegotiators(false, true, runtime)).toEqual([]);
    expect(deflateNegotiators(undefined, false, runtime)).toEqual([]);
    expect(made).toBe(0);
    const [negotiator] = deflateNegotiators(undefined, true, runtime);
    expect(negotiator?.name).toBe('permessage-deflate');
    expect(deflateNegotiators(true, false, runtime)).toHaveLength(1);
    expect(made).toBe(2);
    // Options given by the user reach the negotiator: here, what the client offers.
    const [tuned] = deflateNegotiators({ clientMaxWindowBits: 10, serverNoContextTakeover: true }, false, runtime);
    expect(tuned?.offer()).toContain('client_max_window_bits=10');
    expect(tuned?.offer()).toContain('server_no_context_takeover');
  });

  it('upgrade options: scheduler, head limit and connection settings, plus the session fields', () => {
    const options = upgradeOptions({ maxHeaderBytes: 2048, highWaterMark: 7, maxPayload: 99 }, { scheduler: clock });
    expect(options.scheduler).toBe(clock);
    expect(options.headLimits).toEqual({ maxHeaderBytes: 2048 });
    expect(options.connection).toEqual({ maxMessageSize: 99 });
    expect(options.highWaterMark).toBe(7);
    expect('headLimits' in upgradeOptions({}, { scheduler: clock })).toBe(false);
  });
});
