// Raw text mode through the Node adapter, against ws's client on 127.0.0.1:
// text reaches 'message' as its validated UTF-8 bytes with isBinary false,
// an echo of those bytes goes back as the same text (plain and compressed),
// and invalid UTF-8 still closes with 1007.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function rawTextServer(perMessageDeflate: boolean) {
  const seen: Array<{ data: unknown; isBinary: boolean }> = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, rawText: true, perMessageDeflate });
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      seen.push({ data, isBinary });
      ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => {});
  });
  await server.listen();
  cleanups.push(() => server.close({ timeout: 1000 }));
  const port = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/`, seen };
}

function open(url: string, perMessageDeflate: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    cleanups.push(() => ws.terminate());
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

describe('rawText: true', () => {
  for (const deflate of [false, true]) {
    it(`delivers text as bytes and echoes it as text${deflate ? ' (permessage-deflate)' : ''}`, async () => {
      const { url, seen } = await rawTextServer(deflate);
      const ws = await open(url, deflate);
      const texts = ['héllo ☃ 𝄞', '\uFEFFbom kept', JSON.stringify(Array.from({ length: 600 }, (_, i) => ({ i, name: `n${i % 17}` })))];
      for (const text of texts) {
        const reply = nextMessage(ws);
        ws.send(text);
        const { data, isBinary } = await reply;
        expect(isBinary).toBe(false);
        expect(data.toString('utf8')).toBe(text);
      }
      const binary = nextMessage(ws);
      ws.send(Uint8Array.of(0xc0, 0x80));
      expect((await binary).isBinary).toBe(true);
      expect(seen.map((m) => [m.data instanceof Uint8Array, m.isBinary])).toEqual([
        [true, false],
        [true, false],
        [true, false],
        [true, true],
      ]);
      expect(seen.slice(0, 3).map((m) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(m.data as Uint8Array))).toEqual(texts);
    });

    it(`closes with 1007 on invalid UTF-8${deflate ? ' (permessage-deflate)' : ''}`, async () => {
      const { url, seen } = await rawTextServer(deflate);
      const ws = await open(url, deflate);
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      // ws sends bytes with binary: false as a text frame, unchecked.
      ws.send(Buffer.from([0x61, 0xed, 0xa0, 0x80]), { binary: false });
      expect(await closed).toBe(1007);
      expect(seen).toEqual([]);
    });
  }
});
