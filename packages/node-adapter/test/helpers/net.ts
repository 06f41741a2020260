import { connect, type Socket } from 'node:net';

/** Open a raw TCP socket to 127.0.0.1:port. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

// The upgrade request head is the shared behaviour suites' one.
export { upgradeRequest } from '../../../codec/test/adapter-behaviour/raw-tcp.js';
