// ServerCounters: closed sessions fold into the totals, open ones are summed
// when read, and the refusal table stays bounded whatever the reasons.
import { describe, expect, it } from 'vitest';
import { ServerCounters } from '../src/adapter/server-metrics.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { DEFAULT_PARAMS, extensionPair, jsonLike } from './deflate-helpers.js';
import { sessionPair, settle } from './session-helpers.js';

describe('ServerCounters', () => {
  it('sums open sessions at read time and keeps closed ones in the totals', async () => {
    const counters = new ServerCounters();
    const { client, server } = sessionPair();
    server.on('message', (data) => server.send(data as string));
    client.on('message', () => {});
    client.send('one');
    client.send('two');
    await settle();
    counters.accepted();
    counters.published(3);
    const open = counters.snapshot(new Set([server]), 1);
    expect(open).toMatchObject({ connections: 1, connectionsTotal: 1, handshakesPending: 1, messagesIn: 2, messagesOut: 2 + 3 });
    expect(open.bytesIn).toBe(server.bytesReceived);
    expect(open.bytesOut).toBe(server.bytesSent);
    client.close(4002, 'x');
    await settle();
    await settle();
    expect(server.closeInfo?.code).toBe(4002);
    counters.closed(server);
    const after = counters.snapshot(new Set(), 0);
    expect(after).toMatchObject({ connections: 0, connectionsTotal: 1, messagesIn: 2, messagesOut: 5, closeCodes: [{ code: 4002, count: 1 }] });
    expect(after.bytesIn).toBe(server.bytesReceived);
  });

  it('counts refusals by status and reason; past 256 rows new reasons pool per status (bounded, none lost)', () => {
    const counters = new ServerCounters();
    counters.refused(404, 'no route for this path');
    counters.refused(404, 'no route for this path');
    counters.refused(401, 'refused by the accept hook');
    for (let i = 0; i < 10_000; i++) counters.refused(400, `reason ${i}`);
    const { handshakesRefused } = counters.snapshot(new Set(), 0);
    expect(handshakesRefused.length).toBe(257);
    expect(handshakesRefused.reduce((sum, r) => sum + r.count, 0)).toBe(10_003);
    expect(handshakesRefused.at(-1)).toEqual({ status: 400, reason: 'other reasons', count: 10_000 - 254 });
    expect(handshakesRefused.slice(0, 2)).toEqual([
      { status: 404, reason: 'no route for this path', count: 2 },
      { status: 401, reason: 'refused by the accept hook', count: 1 },
    ]);
  });

  it('counts permessage-deflate bytes before and after, both directions; zero without the extension', async () => {
    const counters = new ServerCounters();
    const { server: serverExt, client: clientExt } = extensionPair(DEFAULT_PARAMS, pakoCompressor(), pakoCompressor(), 16);
    const { client, server } = sessionPair({ serverConnection: { extension: serverExt }, clientConnection: { extension: clientExt } });
    const message = jsonLike(3, 20_000);
    server.on('message', (data) => server.send(data as string));
    const echoed: unknown[] = [];
    client.on('message', (data) => void echoed.push(data));
    client.send(new TextDecoder().decode(message));
    client.send('tiny'); // under the threshold: sent as is, not counted
    for (let i = 0; i < 10 && echoed.length < 2; i++) await settle();
    expect(echoed).toHaveLength(2);
    const { deflate } = counters.snapshot(new Set([server]), 0);
    expect(deflate).toEqual(server.deflateStats);
    expect(deflate.inUncompressed).toBe(message.length);
    expect(deflate.outUncompressed).toBe(message.length);
    // JSON compresses well: the wire carried far less than the messages.
    expect(deflate.inCompressed).toBeGreaterThan(0);
    expect(deflate.inCompressed * 3).toBeLessThan(message.length);
    expect(deflate.outCompressed * 3).toBeLessThan(message.length);
    expect(deflate.inCompressed).toBe(client.deflateStats!.outCompressed);
    client.close(1000);
    for (let i = 0; i < 5 && server.closeInfo === undefined; i++) await settle();
    counters.closed(server);
    expect(counters.snapshot(new Set(), 0).deflate).toEqual(deflate);

    const plain = sessionPair();
    expect(plain.server.deflateStats).toBeUndefined();
    expect(new ServerCounters().snapshot(new Set([plain.server]), 0).deflate).toEqual({ inCompressed: 0, inUncompressed: 0, outUncompressed: 0, outCompressed: 0 });
  });
});
