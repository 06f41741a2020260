/**
 * Redis Stream entry ids (`<ms>-<seq>`, both unsigned 64-bit decimals):
 * checking and ordering them without losing precision.
 *
 * @module
 */

const STREAM_ID = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/;
const U64_MAX = (1n << 64n) - 1n;

/** The two halves of a stream id, or `undefined` if `id` is not one. */
export function parseStreamId(id: string): [bigint, bigint] | undefined {
  const match = STREAM_ID.exec(id);
  if (match === null) return undefined;
  const ms = BigInt(match[1]!);
  const seq = BigInt(match[2]!);
  return ms <= U64_MAX && seq <= U64_MAX ? [ms, seq] : undefined;
}

/** Orders two stream ids as Redis does; throws a TypeError on anything else. */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (x === undefined) throw new TypeError(`not a Redis stream id: ${JSON.stringify(a)}`);
  if (y === undefined) throw new TypeError(`not a Redis stream id: ${JSON.stringify(b)}`);
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  return x[1] === y[1] ? 0 : x[1] < y[1] ? -1 : 1;
}
