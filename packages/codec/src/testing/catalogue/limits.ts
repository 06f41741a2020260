/**
 * Catalogue: size limits, RFC 6455 §10.4 ("implementation-specific limits").
 *
 * @module
 */
import { AreaBuilder, ev, failsWith, fill, frame, stillOpen, sent } from './build.js';
import type { CatalogueCase } from './types.js';

function build(): CatalogueCase[] {
  const a = new AreaBuilder('limits');
  const s = 'RFC 6455 §10.4';
  const max = { maxMessageSize: 100 };
  a.add(s, 'a message of exactly maxMessageSize', [frame(0x2, fill(1, 100))], stillOpen([ev.binary(fill(1, 100))]), max);
  a.add(s, 'a message one byte over maxMessageSize: 1009', [frame(0x2, fill(1, 101))], failsWith(1009), max);
  a.add(s, 'a text message over maxMessageSize: 1009', [frame(0x1, fill(0x41, 101))], failsWith(1009), max);
  a.add(s, 'fragments adding up to maxMessageSize', [frame(0x2, fill(1, 50), { fin: false }), frame(0x0, fill(1, 50))], stillOpen([ev.binary(fill(1, 100))]), max);
  a.add(s, 'fragments adding up to one byte over: 1009', [frame(0x2, fill(1, 60), { fin: false }), frame(0x0, fill(1, 41))], failsWith(1009), max);
  a.add(s, 'many empty fragments do not count against the limit',
    [frame(0x2, undefined, { fin: false }), ...Array.from({ length: 200 }, () => frame(0x0, undefined, { fin: false })), frame(0x0, fill(2, 100))],
    stillOpen([ev.binary(fill(2, 100))]), max);
  a.add(s, 'limit reached by the 11th fragment of 10 bytes: 1009',
    [frame(0x2, fill(3, 10), { fin: false }), ...Array.from({ length: 10 }, () => frame(0x0, fill(3, 10), { fin: false }))], failsWith(1009), max);
  a.add(s, 'a frame over maxFrameSize: 1009', [frame(0x2, fill(1, 11))], failsWith(1009), { maxFrameSize: 10 });
  a.add(s, 'fragments each within maxFrameSize make a bigger message',
    [frame(0x2, fill(1, 10), { fin: false }), frame(0x0, fill(1, 10))], stillOpen([ev.binary(fill(1, 20))]), { maxFrameSize: 10 });
  a.add(s, 'a ping over maxFrameSize: 1009', [frame(0x9, fill(1, 20))], failsWith(1009), { maxFrameSize: 10 });
  a.add(s, 'a ping within maxFrameSize is fine under a small message limit', [frame(0x9, fill(1, 10))], stillOpen([ev.ping(fill(1, 10))], [sent.pong(fill(1, 10))]), { maxMessageSize: 10 });
  a.add(s, 'maxMessageSize 0 still allows empty messages', [frame(0x2), frame(0x1)], stillOpen([ev.binary(fill(0, 0)), ev.text('')]), { maxMessageSize: 0 });
  return a.cases;
}

/** Limit cases. */
export const limitCases: readonly CatalogueCase[] = build();
