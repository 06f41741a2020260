/**
 * @framewire/bun-adapter: framewire servers and clients on bun.
 * @packageDocumentation
 */
export { CloseCode } from '@framewire/codec';

/** The runtime this adapter binds the codec to. */
export const runtime = 'bun';
