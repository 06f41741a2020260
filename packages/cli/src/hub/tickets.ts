/**
 * One-time tickets for browsers, which cannot set `Authorization` on a
 * WebSocket: `POST /tickets` with the JWT returns a random ticket that
 * carries the JWT's rights, is good for one upgrade (`?ticket=`), and
 * expires after {@link TICKET_TTL_MS} (or with the JWT, if sooner).
 *
 * The store is bounded: expired tickets are swept as new ones are issued,
 * and past `maxOutstanding` live tickets {@link TicketStore.issue} refuses.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Permissions } from './topic-rules.js';

/** How long a ticket is good for. */
export const TICKET_TTL_MS = 30_000;

/** Default cap on tickets issued and not yet used or expired. */
export const DEFAULT_MAX_TICKETS = 10_000;

interface Ticket {
  readonly permissions: Permissions;
  readonly expiresAt: number;
}

/** Issued tickets; see the module comment. */
export class TicketStore {
  /** Map order is issue order, and every ticket lives as long: the oldest expire first. */
  readonly #tickets = new Map<string, Ticket>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(maxOutstanding = DEFAULT_MAX_TICKETS, now: () => number = Date.now) {
    this.#max = maxOutstanding;
    this.#now = now;
  }

  /** Tickets outstanding (expired ones not yet swept included). */
  get size(): number {
    return this.#tickets.size;
  }

  /** A new ticket for `permissions`, or `undefined` when too many are outstanding. */
  issue(permissions: Permissions, tokenExpiresAt: number): string | undefined {
    this.sweep();
    if (this.#tickets.size >= this.#max) return undefined;
    const ticket = randomBytes(24).toString('base64url');
    this.#tickets.set(ticket, { permissions, expiresAt: Math.min(this.#now() + TICKET_TTL_MS, tokenExpiresAt) });
    return ticket;
  }

  /** Use `ticket`: its permissions the first time within its life, `undefined` otherwise. */
  redeem(ticket: string): Permissions | undefined {
    const found = this.#tickets.get(ticket);
    if (found === undefined) return undefined;
    this.#tickets.delete(ticket);
    return found.expiresAt > this.#now() ? found.permissions : undefined;
  }

  /** Drop expired tickets. */
  sweep(): void {
    const now = this.#now();
    // Issue order is nearly expiry order (only a JWT expiring within 30 s cuts a ticket's life short),
    // so stop at the first live one: such a ticket is still gone within 30 s of its issue.
    for (const [ticket, { expiresAt }] of this.#tickets) {
      if (expiresAt > now) break;
      this.#tickets.delete(ticket);
    }
  }
}
