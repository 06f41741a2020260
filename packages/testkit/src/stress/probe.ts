// The liveness probe run after every check ("the server still answers after
// every fault"): a fresh connection, a strictly judged handshake, one echo,
// a clean close. Any fault that killed an accept loop or wedged the event
// loop shows up here.
import { CaseEnd } from '../case.js';
import { closePayload, Opcode } from '../frames.js';
import { openAsClient } from '../open.js';
import { Trace } from '../trace.js';
import { tcpConnect } from './raw-client.js';

/** What the probe saw. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Round-trip time of connect + handshake + echo, ms. */
  readonly ms: number;
  /** Why it failed (empty on success). */
  readonly reason: string;
}

let probes = 0;

/** One liveness probe against `url`, bounded by `timeoutMs`. */
export async function probe(url: URL, timeoutMs = 5000): Promise<ProbeResult> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  const text = `liveness probe ${++probes}`;
  const elapsed = (): number => Math.round(performance.now() - start);
  let socket;
  try {
    socket = await tcpConnect(url, timeoutMs);
    const wire = await openAsClient(socket, url, new Trace(), deadline, {});
    await wire.send({ opcode: Opcode.text, payload: text });
    const event = await wire.next(deadline);
    if (event.type !== 'message' || event.opcode !== Opcode.text || event.data.toString('utf8') !== text) {
      return { ok: false, ms: elapsed(), reason: `no echo: got ${event.type === 'message' ? `a different message` : event.type}` };
    }
    const ms = elapsed();
    // A clean close so the probe itself leaves nothing behind on the server.
    await wire.send({ opcode: Opcode.close, payload: closePayload(1000) });
    await wire.next(Math.min(deadline, performance.now() + 1000));
    return { ok: true, ms, reason: '' };
  } catch (error) {
    const reason = error instanceof CaseEnd ? error.outcome.reason : (error as Error).message;
    return { ok: false, ms: elapsed(), reason };
  } finally {
    socket?.destroy();
  }
}
