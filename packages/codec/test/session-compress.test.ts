// Session.send's per-message `compress` switch (issue 23 item 5), end to end
// between two real Sessions with permessage-deflate negotiated on both.
import { describe, expect, it } from 'vitest';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { parseWireFrames } from '../src/testing/catalogue/wire-parser.js';
import { DEFAULT_PARAMS, jsonLike } from './deflate-helpers.js';
import { sessionPair, settle } from './session-helpers.js';

describe('Session.send({ compress })', () => {
  it('compress: false goes out plain above the threshold; the default compresses; the peer gets both in order', async () => {
    const pair = sessionPair({
      serverConnection: { extension: createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold: 1024 }) },
      clientConnection: { extension: createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor() }) },
    });
    // Watch the server's bytes on their way to the client.
    const wire: Uint8Array[] = [];
    const write = pair.serverEnd.write.bind(pair.serverEnd);
    pair.serverEnd.write = (chunks) => {
      for (const c of chunks) wire.push(c.slice());
      return write(chunks);
    };
    const got: { data: unknown; isBinary: boolean }[] = [];
    pair.client.on('message', (data, isBinary) => void got.push({ data, isBinary }));
    await settle();
    const text = new TextDecoder().decode(jsonLike(5, 4000));
    const bytes = jsonLike(6, 4000);
    pair.server.send(text);
    pair.server.send(text, { compress: false });
    pair.server.send(bytes, { compress: false });
    pair.server.send(bytes, { compress: true });
    for (let i = 0; i < 10 && got.length < 4; i++) await settle();
    const frames = parseWireFrames(wire, { sender: 'server', rsv1: true }).filter((f) => f.opcode < 0x8);
    expect(frames.map((f) => f.rsv1)).toEqual([true, false, false, true]);
    expect(got.map((m) => m.isBinary)).toEqual([false, false, true, true]);
    expect(got[0]!.data).toBe(text);
    expect(got[1]!.data).toBe(text);
    expect(got[2]!.data).toEqual(bytes);
    expect(got[3]!.data).toEqual(bytes);
    pair.server.close();
  });
});
