// The testkit's server catalogue over HTTP/2 (RFC 8441): every case that
// makes sense over a stream, played against the framewire echo server
// through extended CONNECT streams that all share one h2 connection. Left
// out, by design: the `handshake` area (HTTP/1.1 request and response text:
// header spelling, pieces, bytes after the head) and any case that asks for
// a bare TCP connection; a case that needs an HTTP/1.1-only handshake
// option ends as "not applicable" below and is counted apart, never as a pass.
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseEnd, type Case, type OpenOptions } from '../../testkit/src/case.js';
import { catalogue } from '../../testkit/src/cases/index.js';
import { parseDeflateElement, type DeflateParams } from '../../testkit/src/deflate.js';
import { ECHO_OPTIONS, echoListener } from '../../testkit/src/echo.js';
import { checkDeflateResponse } from '../../testkit/src/open.js';
import { playCase } from '../../testkit/src/play.js';
import type { CaseResult } from '../../testkit/src/result.js';
import type { Trace } from '../../testkit/src/trace.js';
import { countVerdicts, fail } from '../../testkit/src/verdict.js';
import { Wire } from '../../testkit/src/wire.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';
import { h2Session, startHttp2Echo, type Http2Echo } from './helpers/http2.js';

const NOT_APPLICABLE = 'not applicable over HTTP/2';

/** Open one WebSocket stream the way the kit's HTTP/1.1 opener does, judging the :status 200 answer. */
async function openStream(h2: ClientHttp2Session, trace: Trace, deadline: number, options: OpenOptions, streams: Array<{ destroy(): void }>): Promise<Wire> {
  if (options.chunks !== undefined || options.editRequest !== undefined) throw new CaseEnd(fail(NOT_APPLICABLE));
  const stream = h2.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':authority': 'localhost',
      ':path': '/',
      'sec-websocket-version': '13',
      ...(options.offer !== undefined ? { 'sec-websocket-extensions': options.offer } : {}),
    },
    { endStream: false },
  );
  streams.push(stream);
  stream.on('error', () => {});
  trace.add('>', `extended CONNECT${options.offer !== undefined ? ` offering "${options.offer}"` : ''}`);
  if (options.trailing !== undefined) stream.write(options.trailing); // frames right behind the request
  const headers = await new Promise<Record<string, unknown> | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), Math.max(0, deadline - performance.now()));
    stream.once('response', (h) => {
      clearTimeout(timer);
      resolve(h as Record<string, unknown>);
    });
    stream.once('close', () => resolve(null));
  });
  if (headers === null) throw new CaseEnd(fail('no response to the extended CONNECT'));
  trace.add('<', `:status ${String(headers[':status'])}`);
  if (headers[':status'] !== 200) throw new CaseEnd(fail(`extended CONNECT refused: ${String(headers[':status'])}`));
  let params: DeflateParams | null = null;
  const ext = headers['sec-websocket-extensions'];
  if (typeof ext === 'string' && options.offer !== undefined) {
    const response = parseDeflateElement(ext);
    if (typeof response === 'string') throw new CaseEnd(fail(`invalid permessage-deflate response "${ext}"`));
    const offers = options.offer.split(',').map((element) => parseDeflateElement(element));
    if (!offers.some((offer) => typeof offer !== 'string' && checkDeflateResponse(offer, response) === null)) {
      throw new CaseEnd(fail(`permessage-deflate response "${ext}" does not fit the offer`));
    }
    params = response;
  } else if (ext !== undefined) throw new CaseEnd(fail('an extension accepted though none was offered'));
  else if (options.requireDeflate === true) throw new CaseEnd(fail('the server declined permessage-deflate'));
  // The kit's wire needs only the Duplex side of a socket: an HTTP/2 stream has it.
  return new Wire(stream as unknown as Socket, 'client', trace, params, Buffer.alloc(0));
}

async function play(cases: readonly Case[], h2: ClientHttp2Session): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      results.push(
        await playCase(c, 'server', 8000, false, (trace, deadline) => {
          const streams: Array<{ destroy(): void }> = [];
          return {
            parts: {
              open: (options: OpenOptions = {}) => openStream(h2, trace, deadline, options, streams),
              raw: () => Promise.reject(new CaseEnd(fail(NOT_APPLICABLE))),
              clientExit: () => Promise.resolve(null),
            },
            cleanup: () => {
              for (const stream of streams) stream.destroy();
            },
          };
        }),
      );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return results;
}

describe('testkit server cases over one HTTP/2 connection', () => {
  let cert: TestCert;
  let server: Http2Echo;
  beforeAll(async () => {
    cert = makeTestCert();
    server = await startHttp2Echo(cert, { ...ECHO_OPTIONS }, () => false);
    server.wss.on('connection', (ws) => {
      ws.on('message', echoListener(ws));
      ws.on('error', () => {});
    });
  });
  afterAll(async () => {
    await server.close();
    cert.remove();
  });

  it('every stream-level case passes (handshake area and bare-TCP cases left out)', { timeout: 240_000 }, async () => {
    const h2 = await h2Session(server.port, cert);
    const cases = catalogue().filter((c) => c.modes.includes('server') && c.area !== 'handshake' && (process.env.FW_H2_CASES === undefined || new RegExp(process.env.FW_H2_CASES).test(c.id)));
    const results = await play(cases, h2);
    h2.destroy();
    const notApplicable = results.filter((r) => r.reason === NOT_APPLICABLE);
    const judged = results.filter((r) => r.reason !== NOT_APPLICABLE);
    const failed = judged.filter((r) => r.verdict === 'fail').map((r) => `${r.id}: ${r.reason}`);
    const counts = countVerdicts(judged);
    console.log(`testkit over HTTP/2: ${judged.length} cases judged ${JSON.stringify(counts)}, ${notApplicable.length} not applicable`);
    expect(failed).toEqual([]);
    expect(judged.length).toBeGreaterThan(400);
    expect(notApplicable.length).toBeLessThan(40);
  });
});
