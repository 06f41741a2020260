// The whole catalogue, in report order.
import type { Case } from '../case.js';
import { closeCases } from './close.js';
import { deflateCases } from './deflate.js';
import { fragmentationCases } from './fragmentation.js';
import { framingCases } from './framing.js';
import { handshakeCases } from './handshake.js';
import { limitsCases } from './limits.js';
import { opcodeCases } from './opcode.js';
import { pingCases } from './ping.js';
import { rsvCases } from './rsv.js';
import { utf8Cases } from './utf8.js';

let cached: readonly Case[] | null = null;

/** Every case, built once. Ids are unique. */
export function catalogue(): readonly Case[] {
  if (cached) return cached;
  const all = [
    ...framingCases(),
    ...pingCases(),
    ...rsvCases(),
    ...opcodeCases(),
    ...fragmentationCases(),
    ...utf8Cases(),
    ...closeCases(),
    ...limitsCases(),
    ...handshakeCases(),
    ...deflateCases(),
  ];
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
    seen.add(c.id);
  }
  cached = all;
  return all;
}
