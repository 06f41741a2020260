// What a case is, and what the runners hand it.
import type { Socket } from 'node:net';
import type { DeflateParams } from './deflate.js';
import type { HttpHead } from './http.js';
import type { Trace } from './trace.js';
import type { Outcome } from './verdict.js';
import type { Wire } from './wire.js';

/** The areas of the catalogue, in report order. */
export const AREAS = ['framing', 'ping', 'rsv', 'opcode', 'fragmentation', 'utf8', 'close', 'limits', 'handshake', 'deflate'] as const;
/** One area of the catalogue. */
export type Area = (typeof AREAS)[number];

/** What is under test: a server (the kit is the client) or a client (the kit is the server). */
export type Mode = 'server' | 'client';

/** How a case wants the opening handshake done. */
export interface OpenOptions {
  /** Server mode: the Sec-WebSocket-Extensions offer the kit sends. */
  readonly offer?: string;
  /** Client mode: the permessage-deflate parameters the kit answers with (dropped when the client's offer does not allow them). */
  readonly accept?: Partial<DeflateParams>;
  /** Deflate must be negotiated, else the case ends as unimplemented. */
  readonly requireDeflate?: boolean;
  /** Server mode: bytes written in the same TCP write as the request. */
  readonly trailing?: Buffer;
  /** Write the handshake (request or response) in pieces of these sizes, 1 ms apart. */
  readonly chunks?: readonly number[];
  /** Server mode: rewrite the request text before it is sent (header case, spacing, extra headers). */
  readonly editRequest?: (request: string) => string;
  /** Client mode: rewrite the 101 response text before it is sent. */
  readonly editResponse?: (response: string) => string;
  /** Client mode: bytes written in the same TCP write as the 101 response. */
  readonly trailingResponse?: Buffer;
}

/** A bare connection for handshake cases. */
export interface RawConnection {
  readonly socket: Socket;
  /** Client mode: the request the client sent (already read). */
  readonly request: HttpHead | null;
  /** Bytes after the request head (client mode) that were read with it. */
  readonly leftover: Buffer;
}

/** What a case gets from the runner. */
export interface CaseContext {
  readonly mode: Mode;
  readonly trace: Trace;
  /** performance.now() value by which the case must be judged. */
  readonly deadline: number;
  /** Do the normal opening handshake and return the connection. Ends the case (CaseEnd) when it fails. */
  open(opts?: OpenOptions): Promise<Wire>;
  /** A bare connection: server mode connects, client mode returns the client's connection after reading its request. */
  raw(): Promise<RawConnection>;
  /** Client mode: the client process's exit code, or null if it has not exited within `ms` (always null in server mode). */
  clientExit(ms: number): Promise<number | null>;
}

/** One conformance case. */
export interface Case {
  /** Stable id, dotted by area, e.g. `close.code.invalid.1004`. */
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  /** RFC section(s) the expectation comes from. */
  readonly rfc: string;
  /** The verdict rules, in words. */
  readonly rules: string;
  /** Which implementations the case applies to. */
  readonly modes: readonly Mode[];
  /** Time limit in ms (default from the runner). */
  readonly timeoutMs?: number;
  /** Play the case and judge it. */
  run(ctx: CaseContext): Promise<Outcome>;
}

/** Thrown by helpers to end a case early with an outcome. */
export class CaseEnd extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.reason);
  }
}
