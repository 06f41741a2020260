/**
 * The echo at /echo: every message comes back with its type. A page that
 * opens `/echo?id=ID` can then ask `GET /wire?id=ID` how many bytes its
 * connection moved on the wire, which a browser cannot see itself: beside
 * the message sizes this shows what permessage-deflate saved.
 *
 * @module
 */
import type { Session, UpgradeRequest } from '@framewire/codec/adapter';
import { getQueryParam } from '@framewire/codec/adapter';
import { payloadBytes } from './payload.js';

/** What `GET /wire?id=ID` answers for one echo connection. */
export interface WireReport {
  /** Frame bytes from the page (compressed and masked as they arrived). */
  readonly bytesReceived: number;
  /** Frame bytes to the page. */
  readonly bytesSent: number;
  /** Messages echoed. */
  readonly messages: number;
  /** Payload bytes echoed (after decompression). */
  readonly payloadBytes: number;
  /** The negotiated extensions header value ('' when none). */
  readonly extensions: string;
}

/** Ids a page may pick: short and plain, so the registry's keys stay small. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` is an id a page may use for `/echo?id=` and `/wire?id=`. */
export function validEchoId(id: string | undefined): id is string {
  return id !== undefined && ID_PATTERN.test(id);
}

/** The echo connections, by the id their page chose. */
export class EchoEndpoint {
  readonly #byId = new Map<string, { session: Session; messages: number; payloadBytes: number }>();
  readonly #onMessage: (payloadBytes: number) => void;

  /** `onMessage` counts each message in and each echo out (for the traffic counters). */
  constructor(onMessage: (payloadBytes: number) => void) {
    this.#onMessage = onMessage;
  }

  /** Echo on a new connection; remembered under its `?id=` (if valid) until it closes. */
  serve(session: Session, request: UpgradeRequest): void {
    const id = getQueryParam(request, 'id');
    const entry = { session, messages: 0, payloadBytes: 0 };
    // A page reconnecting with the same id replaces its old entry.
    if (validEchoId(id)) this.#byId.set(id, entry);
    session.on('message', (data, isBinary) => {
      const bytes = payloadBytes(data);
      entry.messages++;
      entry.payloadBytes += bytes;
      this.#onMessage(bytes);
      if (session.readyState !== 1) return;
      session.send(data, { binary: isBinary });
      this.#onMessage(bytes);
    });
    session.on('close', () => {
      if (id !== undefined && this.#byId.get(id) === entry) this.#byId.delete(id);
    });
  }

  /** The wire report of the connection opened with `id`, or `undefined`. */
  report(id: string): WireReport | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    const { session } = entry;
    return {
      bytesReceived: session.bytesReceived,
      bytesSent: session.bytesSent,
      messages: entry.messages,
      payloadBytes: entry.payloadBytes,
      extensions: session.extensions,
    };
  }
}
