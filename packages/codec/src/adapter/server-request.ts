/**
 * The upgrade request as a server's accept hook and `connection` event see
 * it: the validated request plus what the server knows beside it.
 *
 * @module
 */
import type { UpgradeRequest } from '../protocol/handshake-server.js';
import type { PathParams } from './route-pattern.js';

/** Where a connection came from, as the adapter reads it from its socket. */
export interface RemoteEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * A validated upgrade request with its route parameters and the peer's
 * address. `Params` is typed from the server's `path` pattern
 * (`'/rooms/:id'` gives `{ id: string }`).
 */
export interface ServerRequest<Params = PathParams> extends UpgradeRequest {
  /** The parameters the matched `path` pattern named (`{}` without one; `'*'` for a trailing wildcard). */
  readonly params: Params;
  /** The peer's IP address (`undefined` when the runtime does not tell). */
  readonly remoteAddress: string | undefined;
  /** The peer's port (`undefined` when the runtime does not tell). */
  readonly remotePort: number | undefined;
}

/** `request` with its parameters and peer, frozen (a copy: the handshake's request is frozen too). */
export function serverRequest(request: UpgradeRequest, params: PathParams, remote: RemoteEndpoint | undefined): ServerRequest {
  return Object.freeze({ ...request, params, remoteAddress: remote?.address, remotePort: remote?.port });
}
