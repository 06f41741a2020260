/**
 * Test helpers for users who fuzz their own applications: fast-check
 * arbitraries, an in-memory transport pair and a manual clock.
 *
 * @packageDocumentation
 */
export {
  chunkBytes,
  chunkSizesArbitrary,
  concatBytes,
  encodeFrameSpec,
  frameArbitrary,
  frameStreamArbitrary,
  splitAt,
  splitPointsArbitrary,
} from './arbitraries-frame.js';
export type { FrameArbitraryOptions, FrameSpec } from './arbitraries-frame.js';
export { ManualClock } from './manual-clock.js';
export { MemoryTransport, createMemoryTransportPair } from './memory-transport.js';
export type { MemoryTransportOptions, MemoryTransportStats } from './memory-transport.js';
export {
  extensionHeaderArbitrary,
  extensionOfferArbitrary,
  mutatedBytesArbitrary,
  renderUpgradeResponse,
  tokenArbitrary,
  upgradeRequestArbitrary,
  upgradeResponseSpecArbitrary,
} from './arbitraries-handshake.js';
export type { UpgradeRequestSpec, UpgradeResponseSpec } from './arbitraries-handshake.js';
export * from './catalogue/index.js';
