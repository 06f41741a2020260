// A real WebSocket client (the node adapter's connect) that records what it
// receives, for checking `framewire serve` from outside.
import { connect, type ConnectOptions, type Session } from '@framewire/node-adapter';

/** A connected client and everything it received. */
export interface Recorder {
  readonly session: Session;
  readonly messages: Array<string | Uint8Array>;
  /** Resolves when `count` messages have arrived (rejects after 10 s). */
  received(count: number): Promise<void>;
  readonly closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
}

/** Connect and record every message. */
export async function record(url: string, options: ConnectOptions = {}): Promise<Recorder> {
  const session = await connect(url, options);
  const messages: Array<string | Uint8Array> = [];
  const waiters: Array<() => void> = [];
  session.on('message', (data) => {
    messages.push(data as string | Uint8Array);
    for (const wake of waiters.splice(0)) wake();
  });
  const received = async (count: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${count} messages: ${JSON.stringify(messages.slice(-3))}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { session, messages, received, closed: session.closed };
}
