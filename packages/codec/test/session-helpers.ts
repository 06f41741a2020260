import { Connection, type ConnectionOptions } from '../src/protocol/connection.js';
import { Session, type SessionOptions } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair, type MemoryTransport, type MemoryTransportOptions } from '../src/testing/memory-transport.js';

/** Let every queued microtask and one macrotask turn run. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A deterministic random source for masking keys. */
export function seededRandom(seed = 1): (bytes: Uint8Array) => void {
  let state = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes[i] = state & 0xff;
    }
  };
}

export interface PairOptions {
  transport?: MemoryTransportOptions;
  client?: SessionOptions;
  server?: SessionOptions;
  clientConnection?: Partial<Omit<ConnectionOptions, 'role' | 'now'>>;
  serverConnection?: Partial<Omit<ConnectionOptions, 'role' | 'now'>>;
  clock?: ManualClock;
}

export interface Pair {
  clock: ManualClock;
  client: Session;
  server: Session;
  clientEnd: MemoryTransport;
  serverEnd: MemoryTransport;
  listenerErrors: unknown[];
}

/** A client and a server session joined by an in-memory transport pair, on a manual clock. */
export function sessionPair(options: PairOptions = {}): Pair {
  const clock = options.clock ?? new ManualClock();
  const [clientEnd, serverEnd] = createMemoryTransportPair(options.transport ?? {});
  const listenerErrors: unknown[] = [];
  const onListenerError = (error: unknown): void => {
    listenerErrors.push(error);
  };
  const client = new Session({
    connection: new Connection({ role: 'client', now: () => clock.now(), random: seededRandom(7), ...options.clientConnection }),
    transport: clientEnd,
    scheduler: clock,
    onListenerError,
    ...options.client,
  });
  const server = new Session({
    connection: new Connection({ role: 'server', now: () => clock.now(), ...options.serverConnection }),
    transport: serverEnd,
    scheduler: clock,
    onListenerError,
    ...options.server,
  });
  clientEnd.attach(client);
  serverEnd.attach(server);
  return { clock, client, server, clientEnd, serverEnd, listenerErrors };
}
