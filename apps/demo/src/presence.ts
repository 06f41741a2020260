/**
 * Members online across every process of a cluster. Each process announces
 * its own chat member count on a broker topic (on every change and once a
 * second) and keeps the others' latest counts; an entry not refreshed within
 * {@link PRESENCE_TTL_MS} expires, so a process that dies stops counting
 * after a few seconds. With the in-memory broker (one process) the total is
 * the local count.
 *
 * Wire format on the broker, JSON text: `{ "id": string, "count": number }`
 * (`count` 0 when a process leaves).
 *
 * @module
 */
import type { Broker, BrokerMessage } from '@framewire/codec/adapter';

/** The broker topic the announcements travel on (no page subscribes to it). */
export const PRESENCE_TOPIC = 'demo.presence';
/** A process's count is dropped when it has not been announced for this long. */
export const PRESENCE_TTL_MS = 3500;
/** At most this many other processes are counted (bounded memory against a noisy broker). */
export const MAX_PEERS = 256;
/** Longest process id taken from an announcement. */
const MAX_ID_LENGTH = 64;
/** Largest count taken from an announcement. */
const MAX_COUNT = 1_000_000_000;

/** One process's announcement. */
export interface PresenceAnnouncement {
  readonly id: string;
  readonly count: number;
}

/** Read an announcement from the broker; anything else is `undefined` (pure, property-tested). */
export function readPresence(data: Uint8Array): PresenceAnnouncement | undefined {
  if (data.byteLength > 512) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { id, count } = parsed as { id?: unknown; count?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > MAX_COUNT) return undefined;
  return { id, count };
}

/**
 * The other processes' latest counts, with expiry and a size bound. Pure
 * bookkeeping (time is passed in), so it can be property-tested.
 */
export class PeerCounts {
  readonly #peers = new Map<string, { count: number; expires: number }>();
  readonly #limit: number;

  constructor(limit = MAX_PEERS) {
    this.#limit = limit;
  }

  /** Processes counted now (after the last {@link PeerCounts.expire}). */
  get size(): number {
    return this.#peers.size;
  }

  /** Record `id`'s count at `now`; 0 removes it. Returns whether the total may have changed (never false when it did). */
  set(id: string, count: number, now: number): boolean {
    const before = this.#peers.get(id)?.count ?? 0;
    if (count === 0) return this.#peers.delete(id) && before !== 0;
    let expired = false;
    if (!this.#peers.has(id) && this.#peers.size >= this.#limit) {
      expired = this.expire(now);
      if (this.#peers.size >= this.#limit) return expired;
    }
    this.#peers.set(id, { count, expires: now + PRESENCE_TTL_MS });
    return expired || before !== count;
  }

  /** Drop the entries not refreshed in time. Returns whether the total changed. */
  expire(now: number): boolean {
    let changed = false;
    for (const [id, entry] of this.#peers) {
      if (entry.expires > now) continue;
      this.#peers.delete(id);
      if (entry.count !== 0) changed = true;
    }
    return changed;
  }

  /** The sum of the counts kept. */
  total(): number {
    let sum = 0;
    for (const entry of this.#peers.values()) sum += entry.count;
    return sum;
  }
}

/** How a {@link Presence} is made. */
export interface PresenceInit {
  readonly broker: Broker;
  /** This process's id on the broker (unique per process). */
  readonly id: string;
  /** This process's chat members now. */
  readonly local: () => number;
  /** Called when the total changed because of another process. */
  readonly onChange: () => void;
  /** Where broker failures go (an outage must not end the process). Default: ignored. */
  readonly onError?: (error: Error) => void;
  /** Ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

const ANNOUNCE_INTERVAL_MS = 1000;
/** How long {@link Presence.stop} waits for its goodbye to go out. */
const GOODBYE_WAIT_MS = 500;
const encoder = new TextEncoder();

/** The cluster-wide member count. Call {@link Presence.stop} when the server stops. */
export class Presence {
  readonly #init: PresenceInit;
  readonly #peers = new PeerCounts();
  readonly #now: () => number;
  readonly #listener = (message: BrokerMessage): void => this.#receive(message);
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(init: PresenceInit) {
    this.#init = init;
    this.#now = init.now ?? Date.now;
    this.#call(() => init.broker.subscribe(PRESENCE_TOPIC, this.#listener));
    this.#timer = setInterval(() => {
      if (this.#peers.expire(this.#now())) init.onChange();
      void this.announce();
    }, ANNOUNCE_INTERVAL_MS);
  }

  /** Members online in every process. */
  get total(): number {
    return this.#init.local() + this.#peers.total();
  }

  /** Tell the other processes this one's count (call after each local change). Resolves once sent (or failed). */
  announce(count = this.#init.local()): Promise<void> {
    const data = encoder.encode(JSON.stringify({ id: this.#init.id, count }));
    return this.#call(() => this.#init.broker.publish({ topic: PRESENCE_TOPIC, data, binary: false, compress: false, origin: this.#init.id }));
  }

  /**
   * Announce 0 and stop listening. Resolves once the goodbye is sent, or
   * after {@link GOODBYE_WAIT_MS} when the broker is slow (then the others
   * drop this process after the TTL instead).
   */
  stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const goodbye = this.announce(0);
    void this.#call(() => this.#init.broker.unsubscribe(PRESENCE_TOPIC, this.#listener));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, GOODBYE_WAIT_MS)));
    return Promise.race([goodbye, late]).finally(() => clearTimeout(timer));
  }

  #receive(message: BrokerMessage): void {
    const announcement = readPresence(message.data);
    if (announcement === undefined || announcement.id === this.#init.id) return;
    if (this.#peers.set(announcement.id, announcement.count, this.#now())) this.#init.onChange();
  }

  /** Run one broker call; its failure goes to `onError`. Never rejects. */
  #call(run: () => void | Promise<void>): Promise<void> {
    const report = (error: unknown): void => this.#init.onError?.(error instanceof Error ? error : new Error(String(error)));
    try {
      return Promise.resolve(run()).catch(report);
    } catch (error) {
      report(error);
      return Promise.resolve();
    }
  }
}
