/**
 * The connection conformance catalogue: byte scripts grouped by RFC area,
 * each with the outcome RFC 6455 requires, and a runner for either role.
 *
 * @module
 */
import { closeCases } from './close.js';
import { fragmentationCases } from './fragmentation.js';
import { framingCases } from './framing.js';
import { limitCases } from './limits.js';
import { pingPongCases } from './ping-pong.js';
import { opcodeCases, reservedBitCases } from './reserved.js';
import type { CatalogueCase } from './types.js';
import { utf8Cases } from './utf8.js';

/** Every catalogue case, grouped by area in RFC order. */
export const catalogue: readonly CatalogueCase[] = [
  ...framingCases,
  ...pingPongCases,
  ...reservedBitCases,
  ...opcodeCases,
  ...fragmentationCases,
  ...utf8Cases,
  ...closeCases,
  ...limitCases,
];

export type * from './types.js';
export { renderCatalogueMarkdown } from './markdown.js';
export {
  decodeSentFrames,
  encodeCatalogueFrame,
  expectedOutcome,
  normalizeEvent,
  runCatalogueCase,
  type CatalogueOutcome,
  type Chunking,
  type NormalizedEvent,
  type NormalizedFrame,
} from './runner.js';
export {
  checkWireSequence,
  parseWireFrames,
  WireError,
  type WireFrame,
  type WireParseOptions,
} from './wire-parser.js';
