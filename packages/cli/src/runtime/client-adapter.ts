/**
 * The runtime's `connect()`: the node adapter on Node, the Bun or Deno
 * adapter there (dynamic import, so Node never loads Bun or Deno globals).
 *
 * @module
 */
import type { ClientOfferOptions, Session } from '@framewire/codec/adapter';
import { currentRuntime } from './current-runtime.js';

/** The `connect()` every adapter exports, with the options the CLI uses. */
export type ConnectFunction = (url: string, options: ClientOfferOptions & { tls?: { ca?: string } }) => Promise<Session>;

/** Load the current runtime's adapter and return its `connect`. */
export async function loadConnect(): Promise<ConnectFunction> {
  const runtime = currentRuntime();
  const specifier =
    runtime === 'node' ? '@framewire/node-adapter' : runtime === 'bun' ? '@framewire/bun-adapter' : '@framewire/deno-adapter';
  const adapter = (await import(specifier)) as { connect: ConnectFunction };
  return adapter.connect;
}
