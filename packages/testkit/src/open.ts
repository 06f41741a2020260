// The opening handshake from either side (RFC 6455 §4, RFC 7692 §5, §7.1),
// judged strictly: a case that just wants a connection ends as a fail when
// the peer's handshake is wrong.
import type { Socket } from 'node:net';
import type { OpenOptions, RawConnection } from './case.js';
import { CaseEnd } from './case.js';
import type { DeflateParams } from './deflate.js';
import { formatDeflate, parseDeflateElement } from './deflate.js';
import type { HttpHead } from './http.js';
import { acceptFor, buildRequest, hasToken, header, headEnd, newKey, parseHead } from './http.js';
import { splitBytes } from './frames.js';
import type { Trace } from './trace.js';
import { fail, unimplemented } from './verdict.js';
import { Wire } from './wire.js';

const MAX_HEAD = 64 * 1024;

/** Read an HTTP head from a socket. Resolves null on timeout/close. Leaves the socket paused with nothing consumed after the head. */
export function readHead(socket: Socket, deadline: number, initial: Buffer = Buffer.alloc(0)): Promise<{ head: HttpHead; raw: string; leftover: Buffer } | null> {
  return new Promise((resolve) => {
    let buf = initial;
    const finish = (value: { head: HttpHead; raw: string; leftover: Buffer } | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      resolve(value);
    };
    const check = (): boolean => {
      const end = headEnd(buf);
      if (end === -1) {
        if (buf.length > MAX_HEAD) finish(null);
        return false;
      }
      const raw = buf.subarray(0, end).toString('latin1');
      finish({ head: parseHead(raw), raw, leftover: buf.subarray(end) });
      return true;
    };
    const onData = (data: Buffer): void => {
      buf = Buffer.concat([buf, data]);
      check();
    };
    const onClose = (): void => finish(null);
    const timer = setTimeout(() => finish(null), Math.max(0, deadline - performance.now()));
    if (check()) return;
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.resume();
  });
}

/** Write bytes whole, or in pieces 1 ms apart so they reach the peer as separate reads. */
export async function writePieces(socket: Socket, bytes: Buffer, chunks: readonly number[] | undefined): Promise<void> {
  if (!chunks) {
    socket.write(bytes);
    return;
  }
  for (const piece of splitBytes(bytes, chunks)) {
    if (socket.destroyed) return;
    socket.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Why a permessage-deflate response does not fit the offer (RFC 7692 §7.1), or null. */
export function checkDeflateResponse(offer: DeflateParams, resp: DeflateParams): string | null {
  if (offer.serverNoContextTakeover && !resp.serverNoContextTakeover) return 'offer had server_no_context_takeover but the response lacks it (RFC 7692 §7.1.1.1)';
  if (offer.serverMaxWindowBits !== null && (resp.serverMaxWindowBits === null || resp.serverMaxWindowBits > offer.serverMaxWindowBits)) {
    return `offer had server_max_window_bits=${offer.serverMaxWindowBits}, the response must carry the same or a smaller value (RFC 7692 §7.1.2.1)`;
  }
  if (resp.clientMaxWindowBits !== null && offer.clientMaxWindowBits === null) return 'client_max_window_bits in the response but not in the offer (RFC 7692 §7.1.2.2)';
  if (resp.clientMaxWindowBits === true) return 'client_max_window_bits without a value in a response (RFC 7692 §7.1.2.2)';
  if (typeof offer.clientMaxWindowBits === 'number' && typeof resp.clientMaxWindowBits === 'number' && resp.clientMaxWindowBits > offer.clientMaxWindowBits) {
    return `client_max_window_bits=${resp.clientMaxWindowBits} above the offered ${offer.clientMaxWindowBits}`;
  }
  return null;
}

/** Server mode: connect, send the request, judge the 101 response, return the wire. */
export async function openAsClient(socket: Socket, url: URL, trace: Trace, deadline: number, opts: OpenOptions): Promise<Wire> {
  const key = newKey();
  const request = buildRequest({
    host: url.host,
    path: `${url.pathname}${url.search}`,
    key,
    ...(opts.offer !== undefined ? { extensions: opts.offer } : {}),
  });
  trace.add('>', `handshake request${opts.offer ? ` offering "${opts.offer}"` : ''}`);
  const text = opts.editRequest ? opts.editRequest(request) : request;
  await writePieces(socket, Buffer.concat([Buffer.from(text, 'latin1'), opts.trailing ?? Buffer.alloc(0)]), opts.chunks);
  const got = await readHead(socket, deadline);
  if (!got) throw new CaseEnd(fail('no handshake response (connection closed or timed out)'));
  const { head } = got;
  trace.add('<', head.startLine + (header(head, 'sec-websocket-extensions') ? ` extensions="${header(head, 'sec-websocket-extensions')}"` : ''));
  if (head.status !== 101) throw new CaseEnd(fail(`handshake refused: ${head.startLine}`));
  // RFC 6455 §4.1, client steps 2-4 of reading the response.
  if (!hasToken(header(head, 'upgrade'), 'websocket')) throw new CaseEnd(fail('101 without "Upgrade: websocket" (RFC 6455 §4.2.2)'));
  if (!hasToken(header(head, 'connection'), 'upgrade')) throw new CaseEnd(fail('101 without "Connection: Upgrade" (RFC 6455 §4.2.2)'));
  if (header(head, 'sec-websocket-accept') !== acceptFor(key)) throw new CaseEnd(fail('wrong Sec-WebSocket-Accept (RFC 6455 §4.2.2)'));
  if (header(head, 'sec-websocket-protocol') !== undefined) throw new CaseEnd(fail('a subprotocol was selected though none was offered (RFC 6455 §4.1)'));
  let params: DeflateParams | null = null;
  const ext = header(head, 'sec-websocket-extensions');
  if (ext !== undefined) {
    if (opts.offer === undefined) throw new CaseEnd(fail(`extension "${ext}" in the response though none was offered (RFC 6455 §9.1)`));
    if (ext.split(',').length !== 1) throw new CaseEnd(fail(`more than one extension accepted: "${ext}"`));
    const resp = parseDeflateElement(ext);
    if (typeof resp === 'string') throw new CaseEnd(fail(`invalid permessage-deflate response "${ext}": ${resp} (RFC 7692 §7.1)`));
    // Judge against the first offered element the response can answer.
    const offers = opts.offer.split(',').map((element) => parseDeflateElement(element));
    const reasons: string[] = [];
    let fits = false;
    for (const offer of offers) {
      if (typeof offer === 'string') continue;
      const why = checkDeflateResponse(offer, resp);
      if (why === null) fits = true;
      else reasons.push(why);
    }
    if (!fits) throw new CaseEnd(fail(`permessage-deflate response "${ext}" does not fit the offer: ${reasons.join('; ') || 'no valid offer'}`));
    params = resp;
  } else if (opts.requireDeflate) {
    socket.destroy();
    throw new CaseEnd(unimplemented('the server declined permessage-deflate'));
  }
  return new Wire(socket, 'client', trace, params, got.leftover);
}

/** Why a client's opening request is not valid (RFC 6455 §4.1), or null. */
export function checkClientRequest(head: HttpHead): string | null {
  if (head.method !== 'GET') return `method ${head.method}, must be GET`;
  if (head.version !== 'HTTP/1.1') return `version ${head.version}, must be HTTP/1.1`;
  if (!header(head, 'host')) return 'no Host header';
  if (!hasToken(header(head, 'upgrade'), 'websocket')) return 'no "Upgrade: websocket"';
  if (!hasToken(header(head, 'connection'), 'upgrade')) return 'no "Connection: Upgrade"';
  if (header(head, 'sec-websocket-version') !== '13') return 'Sec-WebSocket-Version is not 13';
  const key = header(head, 'sec-websocket-key') ?? '';
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return `Sec-WebSocket-Key "${key}" is not base64 of 16 bytes`;
  return null;
}

/** Client mode: judge the client's request, answer 101, return the wire. */
export async function openAsServer(raw: RawConnection, trace: Trace, opts: OpenOptions): Promise<Wire> {
  const head = raw.request;
  if (!head) throw new CaseEnd(fail('the client sent no handshake request'));
  const bad = checkClientRequest(head);
  if (bad) throw new CaseEnd(fail(`invalid opening handshake from the client: ${bad} (RFC 6455 §4.1)`));
  const key = header(head, 'sec-websocket-key') ?? '';
  let params: DeflateParams | null = null;
  if (opts.accept || opts.requireDeflate) {
    const offered = (header(head, 'sec-websocket-extensions') ?? '')
      .split(',')
      .map((element) => parseDeflateElement(element))
      .find((p): p is DeflateParams => typeof p !== 'string');
    if (!offered) {
      if (opts.requireDeflate) {
        raw.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
        throw new CaseEnd(unimplemented('the client did not offer permessage-deflate'));
      }
    } else {
      const want = opts.accept ?? {};
      const cmwb = typeof want.clientMaxWindowBits === 'number' && offered.clientMaxWindowBits !== null ? want.clientMaxWindowBits : null;
      const smwb = offered.serverMaxWindowBits ?? (typeof want.serverMaxWindowBits === 'number' ? want.serverMaxWindowBits : null);
      params = {
        serverNoContextTakeover: offered.serverNoContextTakeover || (want.serverNoContextTakeover ?? false),
        clientNoContextTakeover: want.clientNoContextTakeover ?? false,
        serverMaxWindowBits: smwb,
        clientMaxWindowBits: cmwb,
      };
    }
  }
  let response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n`;
  if (params) response += `Sec-WebSocket-Extensions: ${formatDeflate(params)}\r\n`;
  response += '\r\n';
  if (opts.editResponse) response = opts.editResponse(response);
  trace.add('>', `101 Switching Protocols${params ? ` with "${formatDeflate(params)}"` : ''}${opts.chunks ? ` [in pieces of ${opts.chunks.join(',')}]` : ''}`);
  // The wire listens before the response goes out so no reply is missed.
  const wire = new Wire(raw.socket, 'server', trace, params, raw.leftover);
  await writePieces(raw.socket, Buffer.concat([Buffer.from(response, 'latin1'), opts.trailingResponse ?? Buffer.alloc(0)]), opts.chunks);
  return wire;
}
