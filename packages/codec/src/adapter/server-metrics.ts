/**
 * A server's counters: plain integers bumped where the server already acts
 * (an upgrade settled, a session closed, a publish), summed with the open
 * sessions' own byte and message counters only when read.
 *
 * @module
 */
import type { DeflateStats } from '../protocol/extension-queue.js';
import type { CloseInfo } from '../session/session.js';

/**
 * What a server's counters read from one connection: a `Session`, or a
 * runtime's own socket (the `Deno.serve` and `Bun.serve` upgraders' sockets,
 * which count message payload bytes: the runtime frames the wire).
 */
export interface CountedConnection {
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly closeInfo: CloseInfo | undefined;
  readonly deflateStats?: DeflateStats | undefined;
}

/** A mutable sum of {@link DeflateStats}. */
interface DeflateSums {
  inCompressed: number;
  inUncompressed: number;
  outUncompressed: number;
  outCompressed: number;
}

function addDeflate(sums: DeflateSums, stats: DeflateStats | undefined): void {
  if (stats === undefined) return;
  sums.inCompressed += stats.inCompressed;
  sums.inUncompressed += stats.inUncompressed;
  sums.outUncompressed += stats.outUncompressed;
  sums.outCompressed += stats.outCompressed;
}

/** A snapshot of one server's counters, from `server.metrics()`. Plain data: log it, diff it, format it. */
export interface ServerMetrics {
  /** Open connections now. */
  readonly connections: number;
  /** Connections accepted since the server started. */
  readonly connectionsTotal: number;
  /** Upgrades in progress now. */
  readonly handshakesPending: number;
  /** Refused upgrades, by HTTP status and reason (`'404 no route for this path'`, `'401 refused by the accept hook'`). */
  readonly handshakesRefused: ReadonlyArray<{ readonly status: number; readonly reason: string; readonly count: number }>;
  /** Whole messages received by the server's sessions. */
  readonly messagesIn: number;
  /** Messages sent: `send` calls plus one per subscriber a `publish` reached. */
  readonly messagesOut: number;
  /** Bytes read from the wire after the upgrades (frames as they came, compressed when deflated). */
  readonly bytesIn: number;
  /** Bytes written to the wire after the upgrades. */
  readonly bytesOut: number;
  /** Closed connections by close code (the code of their `close` event: the peer's, ours echoed, or 1006). */
  readonly closeCodes: ReadonlyArray<{ readonly code: number; readonly count: number }>;
  /**
   * permessage-deflate, in message payload bytes, over connections that
   * negotiated it: received as they came (`inCompressed`) and once inflated
   * (`inUncompressed`), sent before (`outUncompressed`) and after deflate
   * (`outCompressed`). The ratio: `outCompressed / outUncompressed`. All 0
   * when no connection used it.
   */
  readonly deflate: DeflateStats;
}

/** Distinct `status reason` rows kept before new reasons are pooled per status. */
const MAX_REASONS = 256;
/** The pooled row's reason. */
const OTHER_REASONS = 'other reasons';

/** The mutable counters behind {@link ServerMetrics}; one per server. */
export class ServerCounters {
  #connectionsTotal = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  /** Keyed `status reason`: statuses and reasons are a small fixed set, so the map stays small. */
  readonly #refused = new Map<string, { status: number; reason: string; count: number }>();
  readonly #closeCodes = new Map<number, number>();
  readonly #deflate: DeflateSums = { inCompressed: 0, inUncompressed: 0, outUncompressed: 0, outCompressed: 0 };

  /** An upgrade was accepted. */
  accepted(): void {
    this.#connectionsTotal++;
  }

  /** An upgrade was refused with `status` for `reason`. */
  refused(status: number, reason: string): void {
    let key = `${status} ${reason}`;
    let entry = this.#refused.get(key);
    if (entry === undefined && this.#refused.size >= MAX_REASONS) {
      // Past the cap, new reasons share one row per status: the table stays bounded, no refusal goes uncounted.
      reason = OTHER_REASONS;
      key = `${status} ${reason}`;
      entry = this.#refused.get(key);
    }
    if (entry !== undefined) entry.count++;
    else this.#refused.set(key, { status, reason, count: 1 });
  }

  /** `delivered` subscribers were sent one published message. */
  published(delivered: number): void {
    this.#messagesOut += delivered;
  }

  /** A registered session closed: fold its counters into the totals. Shared by every session (no closure each). */
  readonly closed = (session: CountedConnection): void => {
    this.#messagesIn += session.messagesReceived;
    this.#messagesOut += session.messagesSent;
    this.#bytesIn += session.bytesReceived;
    this.#bytesOut += session.bytesSent;
    addDeflate(this.#deflate, session.deflateStats);
    const code = session.closeInfo?.code ?? 1006;
    this.#closeCodes.set(code, (this.#closeCodes.get(code) ?? 0) + 1);
  };

  /** The totals plus what the open `clients` have counted so far. */
  snapshot(clients: ReadonlySet<CountedConnection>, pending: number): ServerMetrics {
    let messagesIn = this.#messagesIn;
    let messagesOut = this.#messagesOut;
    let bytesIn = this.#bytesIn;
    let bytesOut = this.#bytesOut;
    const deflate = { ...this.#deflate };
    for (const session of clients) {
      addDeflate(deflate, session.deflateStats);
      messagesIn += session.messagesReceived;
      messagesOut += session.messagesSent;
      bytesIn += session.bytesReceived;
      bytesOut += session.bytesSent;
    }
    return {
      connections: clients.size,
      connectionsTotal: this.#connectionsTotal,
      handshakesPending: pending,
      handshakesRefused: [...this.#refused.values()].map((entry) => ({ ...entry })),
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      closeCodes: [...this.#closeCodes].sort((a, b) => a[0] - b[0]).map(([code, count]) => ({ code, count })),
      deflate,
    };
  }
}
