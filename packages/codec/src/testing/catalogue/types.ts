/**
 * Types of the conformance catalogue: each case is a byte script a peer
 * sends to a {@link Connection} and the outcome the RFC requires.
 *
 * @module
 */

/** The RFC areas the catalogue is grouped by. */
export type CatalogueArea =
  | 'framing'
  | 'ping-pong'
  | 'reserved-bits'
  | 'opcodes'
  | 'fragmentation'
  | 'utf8'
  | 'close'
  | 'limits';

/** Payload bytes, written compactly: hex, UTF-8 text, or `length` copies of one byte. */
export type PayloadSpec = { readonly hex: string } | { readonly text: string } | { readonly fill: number; readonly length: number };

/** One frame the peer sends. Masking follows the role of the receiver unless `invertMask`. */
export interface CatalogueFrame {
  readonly opcode: number;
  /** Default `true`. */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** Default: empty. */
  readonly payload?: PayloadSpec;
  /** Break RFC 6455 §5.1: mask a frame to a client, or leave a frame to a server unmasked. */
  readonly invertMask?: boolean;
  /** Use the 64-bit length form with its most significant bit set (RFC 6455 §5.2 forbids it). */
  readonly lengthTopBit?: boolean;
}

/** One step of a case's script. The runner always ends a script with the end of the transport. */
export type CatalogueStep =
  | { readonly kind: 'frame'; readonly frame: CatalogueFrame }
  /** Only the first `bytes` bytes of the frame's encoding (a frame cut short). */
  | { readonly kind: 'partial'; readonly frame: CatalogueFrame; readonly bytes: number }
  /** The application calls `close(code, reason)` on the connection under test. */
  | { readonly kind: 'local-close'; readonly code?: number; readonly reason?: string };

/** An event the connection must report, in order. */
export type ExpectedEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'binary' | 'ping' | 'pong'; readonly payload: PayloadSpec }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly closeCode: number }
  | { readonly type: 'closed'; readonly code: number; readonly wasClean: boolean };

/** A frame the connection must write back, in order. */
export interface ExpectedFrame {
  readonly opcode: number;
  readonly payload: PayloadSpec;
}

/** Options passed to the connection under test (small limits for the limit cases). */
export interface CatalogueOptions {
  readonly maxMessageSize?: number;
  readonly maxFrameSize?: number;
  readonly autoPong?: boolean;
}

/** One catalogue case. */
export interface CatalogueCase {
  /** Stable id, `<area>.<n>`. */
  readonly id: string;
  readonly area: CatalogueArea;
  /** The RFC section the case checks, e.g. `RFC 6455 §5.5.1`. */
  readonly rfc: string;
  /** What the case checks, one line. */
  readonly title: string;
  readonly options?: CatalogueOptions;
  readonly script: readonly CatalogueStep[];
  /** Events (ending with `closed`, since the transport ends after the script) and frames sent back. */
  readonly expect: { readonly events: readonly ExpectedEvent[]; readonly sent: readonly ExpectedFrame[] };
}
