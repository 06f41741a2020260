// The part every fan-out server shares: the commands its control connection
// (path /control) accepts, answered as JSON text. Each server brings its own
// `publish(payload)` and `subscribeAll(topics)`/`unsubscribeAll(topics)`.
//   {"op":"publish","count":C,"size":S,"burst":B,"text":T}  C publishes of S bytes to topic
//                                       "bench" (JSON-like text when T), B per event-loop turn;
//                                       answers {"op":"published"}
//   {"op":"memory","topics":T}           every subscriber joins T more topics; answers the
//                                       JS-heap and resident-memory growth per subscription
// Usage: imported by fanout-fw.mjs, fanout-ws.mjs and fanout-bun.mjs.

/** About `size` bytes of JSON-like text, variant `v` (compresses like real chat or ticker data). */
function jsonLike(size, v) {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `{"id":${v * 1000 + i},"user":"user-${(i * 7 + v) % 50}","text":"message ${i} of variant ${v}","at":${1700000000 + i}},`;
  return text.slice(0, size);
}

/** One turn of the event loop (setImmediate exists on Node and Bun). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A full collection where the runtime offers one (node --expose-gc, Bun.gc). */
function collect() {
  if (typeof Bun !== 'undefined') Bun.gc(true);
  else globalThis.gc?.();
}

/**
 * Runs one control command.
 * @param {string} text the command
 * @param {{ publish(payload: Uint8Array): void, subscribers(): number, subscribeAll(topics: string[]): void, unsubscribeAll(topics: string[]): void }} server
 * @returns {Promise<object>} the answer
 */
export async function runControl(text, server) {
  const command = JSON.parse(text);
  if (command.op === 'publish') {
    const burst = command.burst ?? 1;
    // Text (JSON-like, compressible) for the deflate cases, bytes otherwise.
    const texts = command.text ? Array.from({ length: 16 }, (_, v) => jsonLike(command.size, v)) : undefined;
    const payload = new Uint8Array(command.size);
    for (let i = 0; i < command.count; i++) {
      payload[0] = i & 0xff;
      server.publish(texts === undefined ? payload : texts[i % texts.length]);
      if ((i + 1) % burst === 0) await turn();
    }
    return { op: 'published' };
  }
  if (command.op === 'memory') {
    const topics = Array.from({ length: command.topics }, (_, i) => `extra-${i}`);
    collect();
    await turn();
    const before = process.memoryUsage();
    server.subscribeAll(topics);
    collect();
    await turn();
    const after = process.memoryUsage();
    const subscriptions = server.subscribers() * topics.length;
    server.unsubscribeAll(topics);
    // The JS heap shows what JavaScript keeps; RSS also what native code keeps (Bun's own topics).
    return {
      op: 'memory',
      subscriptions,
      heapBytesPerSubscription: (after.heapUsed - before.heapUsed) / subscriptions,
      rssBytesPerSubscription: (after.rss - before.rss) / subscriptions,
    };
  }
  return { op: 'error', message: `unknown op ${command.op}` };
}
