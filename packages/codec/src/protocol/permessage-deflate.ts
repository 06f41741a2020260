/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1), as pure functions:
 * parse and validate parameters, write client offers, pick an offer as a
 * server, check the server's response as a client. No compression happens
 * here; {@link createDeflateExtension} does that with the agreed parameters.
 *
 * @module
 */
import { ProtocolError } from './errors.js';

/** The extension token (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * One element of a `Sec-WebSocket-Extensions` header, already split into
 * name and parameters (a parameter without `=value` has value `true`).
 * Structurally the same as `ExtensionOffer` from the extension-header parser.
 */
export interface ExtensionElement {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

/**
 * The parameters of one permessage-deflate offer (client → server), RFC 7692
 * §7.1. `undefined` means "not named".
 */
export interface DeflateOffer {
  /** Ask the server not to keep its LZ77 window between messages (§7.1.1.1). */
  readonly serverNoContextTakeover?: boolean | undefined;
  /** Tell the server the client will not keep its window (§7.1.1.2). */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Ask the server to use a window of at most 2^n bytes, 8..15 (§7.1.2.1). */
  readonly serverMaxWindowBits?: number | undefined;
  /**
   * Say the client accepts a limit on its own window (§7.1.2.2): `true` names
   * the parameter without a value, a number 8..15 also caps the client's window.
   */
  readonly clientMaxWindowBits?: number | true | undefined;
}

/**
 * Parameters in force once negotiation succeeded, the same on both ends.
 * Window bits are 8..15; 15 when the response named none.
 */
export interface DeflateParameters {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

/** What a server is willing to agree to (its policy). */
export interface DeflateServerPolicy {
  /** Never keep our (server) window between messages, even unasked. */
  readonly serverNoContextTakeover?: boolean | undefined;
  /** Require the client not to keep its window. */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Largest window we compress with, 8..15 (default 15). */
  readonly serverMaxWindowBits?: number | undefined;
  /**
   * Largest window we allow the client, 8..15. A client that did not offer
   * `client_max_window_bits` cannot be limited, so its offer is declined.
   */
  readonly clientMaxWindowBits?: number | undefined;
}

const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** Is `n` a legal window-bits value (RFC 7692 §7.1.2: 8..15)? */
export function isWindowBits(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 8 && n <= 15;
}

type ParamContext = 'offer' | 'response';

/** Parsed, not-yet-interpreted parameters shared by offers and responses. */
interface RawDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

/**
 * Reads the parameters of one permessage-deflate element. Returns a message
 * instead when an offer must be declined / a response fails the connection:
 * an unknown parameter, a repeated one, or a bad value (RFC 7692 §7.1:
 * "decline an extension negotiation offer ... if ... contains an extension
 * parameter with an invalid value ... multiple extension parameters with the
 * same name"). Window bits are a decimal 8..15 without a leading zero.
 */
function readParams(
  params: ExtensionElement['params'],
  context: ParamContext,
): RawDeflateParams | string {
  const out: RawDeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [rawName, value] of params) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) return `duplicate parameter ${name}`;
    seen.add(name);
    switch (name) {
      // RFC 7692 §7.1.1: the context-takeover parameters have no value.
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `parameter ${name} takes no value`;
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      // RFC 7692 §7.1.2.1: server_max_window_bits always has a value.
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS.test(value)) return `invalid value for ${name}`;
        out.serverMaxWindowBits = Number(value);
        break;
      // RFC 7692 §7.1.2.2: may lack a value in an offer, never in a response.
      case 'client_max_window_bits':
        if (value === true) {
          if (context === 'response') return `parameter ${name} needs a value in a response`;
          out.clientMaxWindowBits = true;
        } else {
          if (!WINDOW_BITS.test(value)) return `invalid value for ${name}`;
          out.clientMaxWindowBits = Number(value);
        }
        break;
      default:
        return `unknown parameter ${rawName}`;
    }
  }
  return out;
}

/**
 * Parses one client offer (an element named permessage-deflate). Returns a
 * string explaining why it must be declined when it is invalid.
 */
export function parseDeflateOffer(element: ExtensionElement): DeflateOffer | string {
  if (element.name.toLowerCase() !== PERMESSAGE_DEFLATE) return `not ${PERMESSAGE_DEFLATE}`;
  return readParams(element.params, 'offer');
}

function checkOfferOptions(offer: DeflateOffer): void {
  const { serverMaxWindowBits: s, clientMaxWindowBits: c } = offer;
  if (s !== undefined && !isWindowBits(s)) throw new RangeError('serverMaxWindowBits must be an integer 8..15');
  if (c !== undefined && c !== true && !isWindowBits(c)) {
    throw new RangeError('clientMaxWindowBits must be true or an integer 8..15');
  }
}

/**
 * Writes one offer as a header element, e.g.
 * `permessage-deflate; client_max_window_bits`. Throws a RangeError on
 * window bits outside 8..15 (local misuse).
 */
export function formatDeflateOffer(offer: DeflateOffer): string {
  checkOfferOptions(offer);
  let s = PERMESSAGE_DEFLATE;
  if (offer.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (offer.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (offer.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${offer.serverMaxWindowBits}`;
  if (offer.clientMaxWindowBits === true) s += '; client_max_window_bits';
  else if (offer.clientMaxWindowBits !== undefined) s += `; client_max_window_bits=${offer.clientMaxWindowBits}`;
  return s;
}

/**
 * Writes several offers, most preferred first, as one header value
 * (RFC 7692 §5: the server picks at most one).
 */
export function formatDeflateOffers(offers: readonly DeflateOffer[]): string {
  return offers.map(formatDeflateOffer).join(', ');
}

/** Writes the server's response element for agreed parameters. */
export function formatDeflateResponse(response: {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | undefined;
}): string {
  let s = PERMESSAGE_DEFLATE;
  if (response.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (response.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (response.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${response.serverMaxWindowBits}`;
  if (response.clientMaxWindowBits !== undefined) s += `; client_max_window_bits=${response.clientMaxWindowBits}`;
  return s;
}

/** The server's choice: the response element to send and the parameters in force. */
export interface DeflateSelection {
  /** The `Sec-WebSocket-Extensions` element to answer with. */
  readonly response: string;
  readonly params: DeflateParameters;
  /** Index of the accepted element in the list given to {@link selectDeflateOffer}. */
  readonly index: number;
}

/**
 * Server side (RFC 7692 §5.1, §7.1): walks the client's elements in order of
 * preference, skips other extensions, declines invalid permessage-deflate
 * offers and those the policy cannot meet, and accepts the first one left.
 * Returns `undefined` when none is acceptable (the handshake then goes on
 * without compression).
 *
 * - `server_no_context_takeover` offered or required by policy → named.
 * - `client_no_context_takeover` required by policy or offered → named.
 * - `server_max_window_bits`: the smaller of the offer and the policy; named
 *   when offered or when the policy lowers it (§7.1.2.1 lets a server name
 *   it unasked).
 * - `client_max_window_bits`: only when offered (§7.1.2.2); the policy's
 *   limit, capped by a value in the offer; a policy limit with no such offer
 *   declines the offer.
 */
export function selectDeflateOffer(
  elements: readonly ExtensionElement[],
  policy: DeflateServerPolicy = {},
): DeflateSelection | undefined {
  if (policy.serverMaxWindowBits !== undefined && !isWindowBits(policy.serverMaxWindowBits)) {
    throw new RangeError('serverMaxWindowBits must be an integer 8..15');
  }
  if (policy.clientMaxWindowBits !== undefined && !isWindowBits(policy.clientMaxWindowBits)) {
    throw new RangeError('clientMaxWindowBits must be an integer 8..15');
  }
  for (let index = 0; index < elements.length; index++) {
    const element = elements[index]!;
    if (element.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const offer = readParams(element.params, 'offer');
    if (typeof offer === 'string') continue; // RFC 7692 §7.1: decline invalid offers

    if (policy.clientMaxWindowBits !== undefined && offer.clientMaxWindowBits === undefined) continue;

    const serverNoContextTakeover = offer.serverNoContextTakeover || policy.serverNoContextTakeover === true;
    const clientNoContextTakeover = offer.clientNoContextTakeover || policy.clientNoContextTakeover === true;

    let serverBits: number | undefined;
    if (offer.serverMaxWindowBits !== undefined) {
      serverBits = Math.min(offer.serverMaxWindowBits, policy.serverMaxWindowBits ?? 15);
    } else if (policy.serverMaxWindowBits !== undefined && policy.serverMaxWindowBits < 15) {
      serverBits = policy.serverMaxWindowBits;
    }

    let clientBits: number | undefined;
    if (offer.clientMaxWindowBits !== undefined) {
      const offered = offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
      if (policy.clientMaxWindowBits !== undefined) clientBits = Math.min(offered, policy.clientMaxWindowBits);
      else if (offer.clientMaxWindowBits !== true) clientBits = offered; // echo the client's own cap
    }

    const response = formatDeflateResponse({
      serverNoContextTakeover,
      clientNoContextTakeover,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    });
    return {
      response,
      index,
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits ?? 15,
        clientMaxWindowBits: clientBits ?? 15,
      },
    };
  }
  return undefined;
}

function extensionFailure(message: string): ProtocolError {
  // RFC 6455 §4.1 / RFC 7692 §7.1: the client fails the connection; 1010 names
  // the extension as the reason.
  return new ProtocolError('FW_ERR_EXTENSION', 1010, `permessage-deflate: ${message}`);
}

/**
 * Does a parsed response answer this offer (RFC 7692 §7.1)? The server must
 * confirm `server_no_context_takeover` and `server_max_window_bits` if they
 * were asked, may only lower window sizes, and may name
 * `client_max_window_bits` only if the offer did.
 */
function responseMatches(offer: DeflateOffer, response: RawDeflateParams): boolean {
  if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) return false;
  if (offer.serverMaxWindowBits !== undefined) {
    if (response.serverMaxWindowBits === undefined || response.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return false;
    }
  }
  if (response.clientMaxWindowBits !== undefined) {
    if (offer.clientMaxWindowBits === undefined) return false;
    if (offer.clientMaxWindowBits !== true && (response.clientMaxWindowBits as number) > offer.clientMaxWindowBits) {
      return false;
    }
  }
  return true;
}

/**
 * Client side: checks the server's permessage-deflate elements against the
 * offers we sent. Returns the parameters in force, `undefined` when the
 * server did not accept the extension, or a `ProtocolError` (1010) when the
 * response is invalid: several permessage-deflate elements, an unknown or
 * repeated parameter, a value out of range, a parameter we did not offer or
 * a window larger than we asked for.
 */
export function acceptDeflateResponse(
  elements: readonly ExtensionElement[],
  offers: readonly DeflateOffer[],
): DeflateParameters | ProtocolError | undefined {
  const ours = elements.filter((e) => e.name.toLowerCase() === PERMESSAGE_DEFLATE);
  if (ours.length === 0) return undefined;
  if (ours.length > 1) return extensionFailure('the server accepted the extension more than once');
  const response = readParams(ours[0]!.params, 'response');
  if (typeof response === 'string') return extensionFailure(response);
  const offer = offers.find((o) => responseMatches(o, response));
  if (offer === undefined) return extensionFailure('the response matches none of our offers');
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    // RFC 7692 §7.1.1.2: offering it is a promise even when the server is silent.
    clientNoContextTakeover: response.clientNoContextTakeover || offer.clientNoContextTakeover === true,
    serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
    clientMaxWindowBits:
      (response.clientMaxWindowBits as number | undefined) ??
      (typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15),
  };
}
