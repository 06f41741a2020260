/**
 * @framewire/deno-adapter: framewire servers and clients on deno.
 * @packageDocumentation
 */
export { CloseCode } from '@framewire/codec';

/** The runtime this adapter binds the codec to. */
export const runtime = 'deno';
