// The opening handshake (RFC 6455 §4.1, §4.2, §4.4).
import type { Case, CaseContext } from '../case.js';
import { buildFrame, FrameParser, Opcode } from '../frames.js';
import type { RequestOptions } from '../http.js';
import { acceptFor, buildRequest, header, newKey } from '../http.js';
import { echoThenClose, text } from '../judge.js';
import { readHead } from '../open.js';
import type { Outcome } from '../verdict.js';
import { fail, informational, nonStrict, pass } from '../verdict.js';
import { CLIENT, echoCase, SERVER } from './kinds.js';

const REJECT_RULES =
  'Pass: the server refuses with the ideal status. Non-strict: another 4xx/5xx status, or the connection closed without an HTTP response. Fail: 101 Switching Protocols (the bad handshake was accepted).';

const LENIENT_RULES =
  'Pass: the server refuses with the ideal status. Non-strict: another 4xx/5xx status, closed without a response, or accepted (101): the RFC asks for a refusal but accepting does no harm.';

/** Send a request on a bare connection and read the response head (null: closed or timed out). */
async function exchange(ctx: CaseContext, request: string | Buffer): Promise<ReturnType<typeof parseResponse>> {
  const { socket } = await ctx.raw();
  socket.write(request);
  ctx.trace.add('>', `request: ${String(request).split('\r\n')[0]?.slice(0, 200) ?? ''}`);
  return parseResponse(ctx, await readHead(socket, ctx.deadline));
}

function parseResponse(ctx: CaseContext, got: Awaited<ReturnType<typeof readHead>>): Awaited<ReturnType<typeof readHead>> {
  ctx.trace.add('<', got ? got.raw.trim().split('\r\n').join(' | ').slice(0, 400) : 'no response (closed or timed out)');
  return got;
}

function judgeReject(got: Awaited<ReturnType<typeof readHead>>, ideal: readonly number[], lenient: boolean): Outcome {
  if (!got) return nonStrict('closed without an HTTP response');
  const status = got.head.status;
  if (status === 101 && lenient) return nonStrict('accepted (101); RFC 6455 §4.2.1 asks for a refusal, but accepting is harmless leniency');
  if (status === 101) return fail('the invalid handshake was accepted (101)');
  if (ideal.includes(status)) return pass(`refused with ${status}`);
  if (status >= 400) return nonStrict(`refused with ${status}, ideally ${ideal.join('/')}`);
  return fail(`unexpected status ${status}`);
}

function reqOpts(over: Partial<RequestOptions> = {}): RequestOptions {
  return { host: '127.0.0.1', path: '/', key: newKey(), ...over };
}

/** The opening-handshake cases. */
export function handshakeCases(): Case[] {
  const cases: Case[] = [];
  const reject = (id: string, title: string, rfc: string, request: () => string, ideal: readonly number[] = [400], lenient = false): void => {
    cases.push({
      id: `handshake.reject.${id}`, area: 'handshake', title, rfc, rules: lenient ? LENIENT_RULES : REJECT_RULES, modes: SERVER,
      async run(ctx) {
        return judgeReject(await exchange(ctx, request()), ideal, lenient);
      },
    });
  };

  // Valid variants must be accepted, then work.
  const valid = (id: string, title: string, rfc: string, edit: (r: string) => string): void => {
    cases.push(echoCase({
      id: `handshake.valid.${id}`, area: 'handshake', title, rfc, modes: SERVER, open: { editRequest: edit },
      async play(w) {
        await w.send({ opcode: Opcode.text, payload: 'handshake ok' });
        return [text('handshake ok')];
      },
    }));
  };
  valid('basic', 'a plain valid request', 'RFC 6455 §4.1', (r) => r);
  valid('upgrade-mixed-case', '"Upgrade: WebSocket" (token case-insensitive)', 'RFC 6455 §4.2.1', (r) => r.replace('Upgrade: websocket', 'Upgrade: WebSocket'));
  valid('connection-list', '"Connection: keep-alive, Upgrade"', 'RFC 6455 §4.2.1', (r) => r.replace('Connection: Upgrade', 'Connection: keep-alive, Upgrade'));
  valid('connection-lowercase', '"Connection: upgrade" in lower case', 'RFC 6455 §4.2.1', (r) => r.replace('Connection: Upgrade', 'Connection: upgrade'));
  valid('lowercase-names', 'all header names in lower case', 'RFC 7230 §3.2', (r) => r.replace(/^([A-Za-z-]+):/gm, (_m, name: string) => `${name.toLowerCase()}:`));
  valid('header-whitespace', 'extra spaces around header values', 'RFC 7230 §3.2', (r) => r.replace(/^([A-Za-z-]+): (.*)$/gm, '$1:   $2  '));
  valid('extra-headers', 'Origin, User-Agent, Cookie and Sec-WebSocket-Protocol-free extras', 'RFC 6455 §4.1', (r) => r.replace('\r\n\r\n', '\r\nOrigin: http://127.0.0.1\r\nUser-Agent: framewire-testkit\r\nCookie: a=b\r\nX-Custom: 1\r\n\r\n'));
  valid('path-query', 'a request target with a path and a query', 'RFC 6455 §3', (r) => r.replace('GET / ', 'GET /some/path?x=1&y=2 '));
  cases.push(echoCase({
    id: 'handshake.valid.split-bytewise', area: 'handshake', title: 'request written one byte at a time', rfc: 'RFC 6455 §4.1', modes: SERVER, open: { chunks: [1] },
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'handshake ok' });
      return [text('handshake ok')];
    },
  }));
  cases.push({
    id: 'handshake.valid.frame-in-same-write', area: 'handshake', title: 'request and a first frame in the same TCP write (bytes after the head are not lost)', rfc: 'RFC 6455 §4.1', rules: 'Pass: the frame is echoed after the 101. Fail: it is lost or the handshake fails.', modes: SERVER,
    async run(ctx) {
      const w = await ctx.open({ trailing: buildFrame({ opcode: Opcode.text, payload: 'early bird' }, true) });
      ctx.trace.add('>', 'text "early bird" sent with the request');
      return echoThenClose(ctx, w, [text('early bird')]);
    },
  });

  const noVersionHeader = (v: string | null): Case => ({
    id: `handshake.version.${v ?? 'missing'}`,
    area: 'handshake',
    title: v === null ? 'no Sec-WebSocket-Version' : `Sec-WebSocket-Version: ${v}`,
    rfc: 'RFC 6455 §4.2.2, §4.4',
    rules: 'Pass: 426 with "Sec-WebSocket-Version: 13" (listing 13). Non-strict: another 4xx with that header, or closed without a response. Fail: 101, or a refusal without the Sec-WebSocket-Version header (a MUST).',
    modes: SERVER,
    async run(ctx) {
      const got = await exchange(ctx, buildRequest(reqOpts({ headers: { 'Sec-WebSocket-Version': v } })));
      if (!got) return nonStrict('closed without an HTTP response');
      if (got.head.status === 101) return fail('accepted an unsupported version (101)');
      const versions = header(got.head, 'sec-websocket-version');
      if (!versions || !versions.split(',').some((x) => x.trim() === '13')) return fail(`refused with ${got.head.status} but without "Sec-WebSocket-Version: 13"`);
      if (got.head.status === 426) return pass('426 with Sec-WebSocket-Version');
      return nonStrict(`refused with ${got.head.status} (426 Upgrade Required is the usual status) and Sec-WebSocket-Version: ${versions}`);
    },
  });
  for (const v of ['12', '14', '0', 'abc', null]) cases.push(noVersionHeader(v));
  cases.push({
    id: 'handshake.version.8',
    area: 'handshake',
    title: 'Sec-WebSocket-Version: 8 (the pre-RFC hybi draft)',
    rfc: 'RFC 6455 §4.4',
    rules: 'Informational: a server may still speak draft version 8, or refuse it as for any unknown version.',
    modes: SERVER,
    async run(ctx) {
      const got = await exchange(ctx, buildRequest(reqOpts({ headers: { 'Sec-WebSocket-Version': '8' } })));
      return informational(got ? `answered ${got.head.status}` : 'closed without a response');
    },
  });

  reject('key-missing', 'no Sec-WebSocket-Key', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { 'Sec-WebSocket-Key': null } })));
  reject('key-15-bytes', 'Sec-WebSocket-Key of 15 bytes', 'RFC 6455 §4.1', () => buildRequest(reqOpts({ key: Buffer.alloc(15, 1).toString('base64') })));
  reject('key-17-bytes', 'Sec-WebSocket-Key of 17 bytes', 'RFC 6455 §4.1', () => buildRequest(reqOpts({ key: Buffer.alloc(17, 1).toString('base64') })));
  reject('key-not-base64', 'Sec-WebSocket-Key that is not base64', 'RFC 6455 §4.1', () => buildRequest(reqOpts({ key: 'this is not base64!!!!==' })));
  reject('key-twice', 'Sec-WebSocket-Key sent twice', 'RFC 6455 §11.3.1', () => buildRequest(reqOpts()).replace('\r\n\r\n', `\r\nSec-WebSocket-Key: ${newKey()}\r\n\r\n`));
  reject('upgrade-missing', 'no Upgrade header', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { Upgrade: null } })), [400, 426]);
  reject('upgrade-wrong', '"Upgrade: h2c"', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { Upgrade: 'h2c' } })), [400, 426]);
  reject('connection-missing', 'no Connection header', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { Connection: null } })), [400, 426]);
  reject('connection-keep-alive', '"Connection: keep-alive" without the upgrade token', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { Connection: 'keep-alive' } })), [400, 426]);
  reject('method-post', 'method POST', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ method: 'POST' })), [400, 405]);
  reject('http-1.0', 'HTTP/1.0 request', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ httpVersion: 'HTTP/1.0' })), [400, 505], true);
  reject('host-missing', 'no Host header', 'RFC 6455 §4.2.1', () => buildRequest(reqOpts({ headers: { Host: null } })), [400], true);
  reject('garbage', 'bytes that are not HTTP', 'RFC 6455 §4.2.1', () => 'NOT HTTP AT ALL\r\n\r\n');

  cases.push({
    id: 'handshake.subprotocol.offered',
    area: 'handshake',
    title: 'subprotocols "chat, superchat" offered',
    rfc: 'RFC 6455 §4.2.2, §11.3.4',
    rules: 'Pass: 101 without a subprotocol or with one of the offered ones. Fail: a subprotocol that was not offered, or a refusal.',
    modes: SERVER,
    async run(ctx) {
      const got = await exchange(ctx, buildRequest(reqOpts({ protocols: 'chat, superchat' })));
      if (!got || got.head.status !== 101) return fail(`not accepted: ${got?.head.startLine ?? 'no response'}`);
      const chosen = header(got.head, 'sec-websocket-protocol');
      if (chosen === undefined) return pass('no subprotocol chosen');
      return ['chat', 'superchat'].includes(chosen) ? pass(`chose ${chosen}`) : fail(`chose "${chosen}", which was not offered`);
    },
  });
  cases.push({
    id: 'handshake.extension.unknown',
    area: 'handshake',
    title: 'an unknown extension offered',
    rfc: 'RFC 6455 §9.1',
    rules: 'Pass: 101 without accepting the unknown extension. Fail: the unknown extension accepted, or a refusal.',
    modes: SERVER,
    async run(ctx) {
      const got = await exchange(ctx, buildRequest(reqOpts({ extensions: 'x-framewire-unknown; level=3' })));
      if (!got || got.head.status !== 101) return fail(`not accepted: ${got?.head.startLine ?? 'no response'}`);
      const ext = header(got.head, 'sec-websocket-extensions');
      return ext && /x-framewire-unknown/i.test(ext) ? fail(`accepted the unknown extension: ${ext}`) : pass('unknown extension ignored');
    },
  });
  cases.push({
    id: 'handshake.huge-header',
    area: 'handshake',
    title: 'a request with a 100 KiB header',
    rfc: 'RFC 6455 §10.4',
    rules: 'Informational: refusing (431/400) or closing shows a header limit; 101 is recorded as no limit.',
    modes: SERVER,
    async run(ctx) {
      const got = await exchange(ctx, buildRequest(reqOpts()).replace('\r\n\r\n', `\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`));
      return informational(got ? `answered ${got.head.status}` : 'closed without a response');
    },
  });

  // Client side: the kit answers the client's request.
  cases.push(echoCase({
    id: 'handshake.client.valid',
    area: 'handshake',
    title: 'the client sends a valid request and works after a plain 101',
    rfc: 'RFC 6455 §4.1',
    modes: CLIENT,
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'hello client' });
      return [text('hello client')];
    },
  }));
  cases.push(echoCase({
    id: 'handshake.client.response-bytewise',
    area: 'handshake',
    title: 'the 101 response arrives one byte at a time',
    rfc: 'RFC 6455 §4.1',
    modes: CLIENT,
    open: { chunks: [1] },
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'hello client' });
      return [text('hello client')];
    },
  }));
  cases.push(echoCase({
    id: 'handshake.client.response-case',
    area: 'handshake',
    title: 'header names and tokens in odd case ("upgrade: WebSocket", "CONNECTION: keep-alive, UPGRADE")',
    rfc: 'RFC 6455 §4.1',
    modes: CLIENT,
    open: { editResponse: (r) => r.replace('Upgrade: websocket', 'upgrade: WebSocket').replace('Connection: Upgrade', 'CONNECTION: keep-alive, UPGRADE').replace('Sec-WebSocket-Accept', 'sec-websocket-accept') },
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'hello client' });
      return [text('hello client')];
    },
  }));
  cases.push(echoCase({
    id: 'handshake.client.frame-with-response',
    area: 'handshake',
    title: 'a text frame in the same write as the 101 response',
    rfc: 'RFC 6455 §4.1',
    modes: CLIENT,
    open: { trailingResponse: buildFrame({ opcode: Opcode.text, payload: 'early bird' }, false) },
    async play() {
      return [text('early bird')];
    },
  }));

  const badResponse = (id: string, title: string, rfc: string, make: (key: string) => string): void => {
    cases.push({
      id: `handshake.client.reject.${id}`,
      area: 'handshake',
      title,
      rfc,
      rules: 'Pass: the client closes the connection without sending frames and exits non-zero. Non-strict: a close frame on the never-opened connection, or exit code 0. Fail: the client treats the connection as open (echoes the probe frame) or keeps it open.',
      modes: CLIENT,
      async run(ctx) {
        const raw = await ctx.raw();
        const key = header(raw.request ?? { startLine: '', status: 0, method: '', target: '', version: '', headers: new Map() }, 'sec-websocket-key') ?? '';
        const response = make(key);
        ctx.trace.add('>', `response: ${response.trim().split('\r\n').join(' | ')}`);
        raw.socket.write(response);
        raw.socket.write(buildFrame({ opcode: Opcode.text, payload: 'probe' }, false));
        ctx.trace.add('>', 'text "probe"');
        const parser = new FrameParser();
        const frames: string[] = [];
        const closed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Math.max(0, ctx.deadline - performance.now()));
          raw.socket.on('data', (d: Buffer) => {
            for (const f of parser.push(d).frames) frames.push(f.opcode === Opcode.close ? 'close' : f.payload.toString());
          });
          raw.socket.once('close', () => {
            clearTimeout(timer);
            resolve(true);
          });
          raw.socket.resume();
        });
        ctx.trace.add('<', `frames from client: ${frames.join(', ') || '(none)'}; ${closed ? 'client closed TCP' : 'still open'}`);
        if (frames.some((f) => f !== 'close')) return fail('the client accepted the invalid handshake and sent data');
        if (!closed) return fail('the client kept the connection open after an invalid handshake response');
        const code = await ctx.clientExit(2000);
        ctx.trace.add('*', `client exit code ${code ?? '(still running)'}`);
        if (frames.includes('close')) return nonStrict('closed, but sent a close frame on a connection that never opened');
        if (code === 0) return nonStrict('refused the connection but exited 0');
        return pass('the client refused the handshake');
      },
    });
  };
  const ok101 = (key: string, extra = ''): string => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`;
  badResponse('wrong-accept', 'Sec-WebSocket-Accept computed from another key', 'RFC 6455 §4.1 (client step 4)', () => ok101(newKey()));
  badResponse('missing-accept', 'no Sec-WebSocket-Accept', 'RFC 6455 §4.1', (k) => ok101(k).replace(/Sec-WebSocket-Accept: .*\r\n/, ''));
  badResponse('missing-upgrade', '101 without Upgrade', 'RFC 6455 §4.1 (client step 2)', (k) => ok101(k).replace('Upgrade: websocket\r\n', ''));
  badResponse('wrong-upgrade', '101 with "Upgrade: h2c"', 'RFC 6455 §4.1 (client step 2)', (k) => ok101(k).replace('Upgrade: websocket', 'Upgrade: h2c'));
  badResponse('missing-connection', '101 without Connection', 'RFC 6455 §4.1 (client step 3)', (k) => ok101(k).replace('Connection: Upgrade\r\n', ''));
  badResponse('status-200', '200 OK instead of 101', 'RFC 6455 §4.1 (client step 1)', (k) => ok101(k).replace('101 Switching Protocols', '200 OK'));
  badResponse('status-404', '404 Not Found', 'RFC 6455 §4.1', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  badResponse('extension-not-offered', 'an extension the client did not offer', 'RFC 6455 §4.1 (client step 5)', (k) => ok101(k, 'Sec-WebSocket-Extensions: x-framewire-unknown\r\n'));
  badResponse('protocol-not-offered', 'a subprotocol the client did not offer', 'RFC 6455 §4.1 (client step 6)', (k) => ok101(k, 'Sec-WebSocket-Protocol: x-not-offered\r\n'));
  badResponse('deflate-bad-param', 'permessage-deflate with server_max_window_bits=7', 'RFC 7692 §7.1.2.1', (k) => ok101(k, 'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n'));
  return cases;
}
