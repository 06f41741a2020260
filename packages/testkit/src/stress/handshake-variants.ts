// Generated malformed opening handshakes (check 4). Every variant breaks a
// MUST of RFC 6455 §4.1/§4.2.1 or RFC 9112 in a way no reading of the RFCs
// lets a server accept; ambiguous cases (bare-LF line ends, obs-fold, a
// version list, HTTP/1.2) are left out on purpose so a 101 is always a bug.
//
// The set is deterministic: one-field mutations first, then structural and
// size variants, truncations, seeded garbage, then two-field mutations in a
// fixed shuffled order. `count` takes a prefix, so a smaller scale still
// covers every family.
import { noiseBytes } from '../cases/kinds.js';

/** One malformed request as it goes on the wire. */
export interface HandshakeVariant {
  /** Stable, human-readable name (unique). */
  readonly name: string;
  readonly bytes: Buffer;
  /**
   * Half-close after writing: for bytes that never end an HTTP head, so the
   * server answers to EOF now instead of at its handshake timeout.
   */
  readonly endAfterWrite: boolean;
}

/** The RFC 6455 §1.3 sample key: valid, so only the mutated field is wrong. */
const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

interface Parts {
  method: string;
  target: string;
  version: string;
  /** The whole request line, when a variant needs one that is not three tokens. */
  line?: string;
  headers: [string, string][];
}

type Mutation = { readonly label: string; readonly apply: (p: Parts) => void };

const setHeader = (name: string, value: string | null) => (p: Parts): void => {
  const at = p.headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
  if (value === null) {
    if (at !== -1) p.headers.splice(at, 1);
  } else if (at === -1) p.headers.push([name, value]);
  else p.headers[at] = [name, value];
};

const addHeader = (name: string, value: string) => (p: Parts): void => {
  p.headers.push([name, value]);
};

const fieldValues = (field: string, name: string, values: readonly string[]): Mutation[] => [
  { label: `${field}:missing`, apply: setHeader(name, null) },
  ...values.map((v) => ({ label: `${field}:${JSON.stringify(v)}`, apply: setHeader(name, v) })),
];

/** One-field mutations, grouped by field so pairs can combine two different fields. */
function fieldMutations(): Mutation[][] {
  const method: Mutation[] = ['POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'get', 'Get', 'GETT', 'GE', 'XGET', 'G\u0000T'].map((m) => ({
    label: `method:${JSON.stringify(m)}`,
    apply: (p) => {
      p.method = m;
    },
  }));
  const version: Mutation[] = ['HTTP/1.0', 'HTTP/0.9', 'HTTP/1', 'HTTP/', 'HTTP', 'http/1.1', 'HTTPS/1.1', 'HTTP/1.1.1', 'HTTP/1.x', 'HTTP/ 1.1', 'HTTP/1.1 extra', 'HTTP/-1.1'].map((v) => ({
    label: `version:${JSON.stringify(v)}`,
    apply: (p) => {
      p.version = v;
    },
  }));
  const target: Mutation[] = ['', '/ /', '/\u0000', '/a\rb', 'a b', '/\u007f\u0001'].map((t) => ({
    label: `target:${JSON.stringify(t)}`,
    apply: (p) => {
      p.target = t;
    },
  }));
  const host: Mutation[] = [
    { label: 'host:missing', apply: setHeader('Host', null) },
    { label: 'host:twice', apply: addHeader('Host', 'example.invalid') },
  ];
  const upgrade = fieldValues('upgrade', 'Upgrade', ['', 'websockets', 'web-socket', 'web socket', 'h2c', 'HTTP/2.0', 'wss', 'socket', 'xwebsocket', 'websocketx', ',', 'tls/1.0']);
  const connection = fieldValues('connection', 'Connection', ['', 'close', 'keep-alive', 'upgrades', 'upgrad', 'Upgrade-Insecure-Requests', 'websocket', 'up grade', ',']);
  const key = [
    ...fieldValues('key', 'Sec-WebSocket-Key', [
      '',
      'abc',
      'dGhlIHNhbXBsZSBub25j', // 15 bytes
      'dGhlIHNhbXBsZSBub25jZQ', // 16 bytes, padding dropped
      'dGhlIHNhbXBsZSBub25jZQ=',
      'dGhlIHNhbXBsZSBub25jZQ===',
      'dGhlIHNhbXBsZSBub25jZWVl', // 17 bytes
      'dGhlIHNhbXBsZSBub25jZQ!=',
      'dGhl IHNhbXBsZSBub25jZQ==',
      '========================',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', // 32 bytes
      '00112233445566778899aabbccddeeff', // hex, not base64
      'dGhlIHNhbXBsZSBub25jZQ-_',
      'dGhlIHNhbXBsZSBub25jZQ==\rjunk',
    ]),
    // RFC 6455 §11.3.1: the key MUST NOT appear more than once.
    { label: 'key:twice', apply: addHeader('Sec-WebSocket-Key', 'AQIDBAUGBwgJCgsMDQ4PEA==') },
  ];
  const wsVersion = fieldValues('ws-version', 'Sec-WebSocket-Version', ['', '8', '12', '14', '0', '13.0', 'thirteen', '-13', '1 3', 'abc', '256', '99999999999999999999']);
  // RFC 9112 §5.1: whitespace between a field name and the colon MUST be rejected.
  const syntax: Mutation[] = [
    { label: 'syntax:space-before-colon-upgrade', apply: renameHeader('Upgrade', 'Upgrade ') },
    { label: 'syntax:space-before-colon-key', apply: renameHeader('Sec-WebSocket-Key', 'Sec-WebSocket-Key ') },
    { label: 'syntax:space-before-colon-version', apply: renameHeader('Sec-WebSocket-Version', 'Sec-WebSocket-Version ') },
    { label: 'syntax:no-colon-upgrade', apply: (p) => rewriteHeader(p, 'Upgrade', 'Upgrade websocket') },
    { label: 'syntax:no-colon-connection', apply: (p) => rewriteHeader(p, 'Connection', 'Connection Upgrade') },
    { label: 'syntax:key-name-typo', apply: renameHeader('Sec-WebSocket-Key', 'Sec-WebSocket-Kee') },
    { label: 'syntax:version-name-typo', apply: renameHeader('Sec-WebSocket-Version', 'Sec-Websocket-Versions') },
  ];
  return [method, version, target, host, upgrade, connection, key, wsVersion, syntax];
}

function renameHeader(from: string, to: string) {
  return (p: Parts): void => {
    const at = p.headers.findIndex(([n]) => n.toLowerCase() === from.toLowerCase());
    const entry = p.headers[at];
    if (entry) p.headers[at] = [to, entry[1]];
  };
}

/** Replace a header by a raw line (stored as a name with an empty marker value). */
function rewriteHeader(p: Parts, name: string, line: string): void {
  const at = p.headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
  if (at !== -1) p.headers[at] = [line, RAW_LINE];
}

const RAW_LINE = '\u0000raw';

function baseParts(host: string, path: string): Parts {
  return {
    method: 'GET',
    target: path,
    version: 'HTTP/1.1',
    headers: [
      ['Host', host],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', GOOD_KEY],
      ['Sec-WebSocket-Version', '13'],
    ],
  };
}

function render(p: Parts): string {
  let text = `${p.line ?? `${p.method} ${p.target} ${p.version}`}\r\n`;
  for (const [name, value] of p.headers) text += value === RAW_LINE ? `${name}\r\n` : `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** The valid request every mutation starts from (exported for tests: it must be accepted). */
export function validRequest(host: string, path = '/'): string {
  return render(baseParts(host, path));
}

function mutated(host: string, path: string, mutations: readonly Mutation[]): HandshakeVariant {
  const parts = baseParts(host, path);
  for (const m of mutations) m.apply(parts);
  return { name: mutations.map((m) => m.label).join(' + '), bytes: Buffer.from(render(parts), 'latin1'), endAfterWrite: false };
}

/** Request line and size variants: not one field, the shape of the head. */
function structuralVariants(host: string, path: string): HandshakeVariant[] {
  const out: HandshakeVariant[] = [];
  const line = (name: string, requestLine: string): void => {
    const parts = baseParts(host, path);
    parts.line = requestLine;
    out.push({ name: `line:${name}`, bytes: Buffer.from(render(parts), 'latin1'), endAfterWrite: false });
  };
  line('no-version', `GET ${path}`);
  line('only-method', 'GET');
  line('empty', '');
  line('double-space', `GET  ${path} HTTP/1.1`);
  line('leading-space', ` GET ${path} HTTP/1.1`);
  line('four-tokens', `GET ${path} HTTP/1.1 HTTP/1.1`);
  line('response-line', 'HTTP/1.1 101 Switching Protocols');
  line('http2-preface', 'PRI * HTTP/2.0');
  // Over every sane limit (the codec's default is 16 KiB of head, 8 KiB of start line).
  for (const kib of [256, 1024, 4096]) {
    const parts = baseParts(host, path);
    parts.headers.push(['X-Pad', 'a'.repeat(kib * 1024)]);
    out.push({ name: `size:header-${kib}KiB`, bytes: Buffer.from(render(parts), 'latin1'), endAfterWrite: false });
  }
  for (const count of [2000, 20_000]) {
    const parts = baseParts(host, path);
    for (let i = 0; i < count; i++) parts.headers.push([`X-H${i}`, 'v']);
    out.push({ name: `size:${count}-headers`, bytes: Buffer.from(render(parts), 'latin1'), endAfterWrite: false });
  }
  for (const kib of [256, 1024]) {
    const parts = baseParts(host, path);
    parts.target = `/${'p'.repeat(kib * 1024)}`;
    out.push({ name: `size:target-${kib}KiB`, bytes: Buffer.from(render(parts), 'latin1'), endAfterWrite: false });
  }
  // A valid request that is HTTP/1.0 in every respect (issue 15: Deno.serve upgraded these).
  const http10 = baseParts(host, path);
  http10.version = 'HTTP/1.0';
  http10.headers.push(['Connection', 'keep-alive']);
  out.push({ name: 'http10:keep-alive', bytes: Buffer.from(render(http10), 'latin1'), endAfterWrite: false });
  return out;
}

/** The valid request cut short, then EOF: no head ever completes. */
function truncations(host: string, path: string): HandshakeVariant[] {
  const full = Buffer.from(validRequest(host, path), 'latin1');
  const out: HandshakeVariant[] = [];
  // Every cut up to the last byte: the final CRLF is the one that completes the head.
  for (let cut = 0; cut < full.length; cut++) out.push({ name: `truncated:${cut}/${full.length}`, bytes: full.subarray(0, cut), endAfterWrite: true });
  return out;
}

/** Seeded binary noise, a TLS ClientHello start and NUL runs. */
function garbage(): HandshakeVariant[] {
  const out: HandshakeVariant[] = [];
  for (let i = 1; i <= 24; i++) {
    const size = 1 + ((i * 997) % 4096);
    // Half end with a blank line so a server that parses anything must answer.
    const ended = i % 2 === 0;
    const bytes = ended ? Buffer.concat([noiseBytes(size, i), Buffer.from('\r\n\r\n')]) : noiseBytes(size, i);
    out.push({ name: `garbage:noise-${size}${ended ? '+crlfcrlf' : ''}`, bytes, endAfterWrite: !ended });
  }
  out.push({ name: 'garbage:tls-client-hello', bytes: Buffer.from('16030100c8010000c40303', 'hex'), endAfterWrite: true });
  out.push({ name: 'garbage:crlfcrlf', bytes: Buffer.from('\r\n\r\n'), endAfterWrite: false });
  out.push({ name: 'garbage:nul-run', bytes: Buffer.concat([Buffer.alloc(512), Buffer.from('\r\n\r\n')]), endAfterWrite: false });
  out.push({ name: 'garbage:cr-only-lines', bytes: Buffer.from(validRequest('127.0.0.1').replaceAll('\r\n', '\r'), 'latin1'), endAfterWrite: true });
  return out;
}

/** A fixed-seed Fisher-Yates shuffle (order only; the set is the same for any seed). */
function shuffled<T>(items: T[], seed: number): T[] {
  let x = seed >>> 0;
  for (let i = items.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/**
 * The first `count` malformed handshakes for a server at `host` (its
 * `host:port`). Names are unique and bytes are distinct.
 *
 * @example
 * ```ts
 * for (const v of malformedHandshakes('127.0.0.1:9001', 1853)) socket.write(v.bytes);
 * ```
 */
export function malformedHandshakes(host: string, count: number, path = '/'): HandshakeVariant[] {
  const fields = fieldMutations();
  const singles = fields.flat().map((m) => mutated(host, path, [m]));
  const pairs: Mutation[][] = [];
  for (let a = 0; a < fields.length; a++) {
    for (let b = a + 1; b < fields.length; b++) {
      for (const ma of fields[a] ?? []) for (const mb of fields[b] ?? []) pairs.push([ma, mb]);
    }
  }
  const out: HandshakeVariant[] = [];
  const seen = new Set<string>();
  const take = (v: HandshakeVariant): boolean => {
    if (out.length >= count) return false;
    // Two mutations can render the same bytes (missing Host twice over); keep one.
    const id = v.bytes.toString('latin1');
    if (seen.has(id)) return true;
    seen.add(id);
    out.push(v);
    return true;
  };
  for (const v of [...singles, ...structuralVariants(host, path), ...truncations(host, path), ...garbage()]) if (!take(v)) return out;
  for (const pair of shuffled(pairs, 15)) if (!take(mutated(host, path, pair))) return out;
  return out;
}
