/**
 * @framewire/node-adapter: framewire servers and clients on node.
 * @packageDocumentation
 */
export { CloseCode } from '@framewire/codec';

/** The runtime this adapter binds the codec to. */
export const runtime = 'node';
