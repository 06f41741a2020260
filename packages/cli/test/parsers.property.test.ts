// Property tests of the CLI's parsers: stdout line splitting, --path
// routes, origin matching, static-file paths. Fixed seed; FW_FUZZ_RUNS for
// longer runs by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { cgiEnvironment } from '../src/serve/cgi-env.js';
import { originMatches } from '../src/serve/access.js';
import { LineSplitter, utf8Boundary } from '../src/serve/line-splitter.js';
import { matchRoute, parseRoute } from '../src/serve/routes.js';
import { staticTarget } from '../src/serve/static-files.js';
import { textPayload, textPayloads } from '../src/serve/text-line.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 2000);
const settings = { numRuns: runs, seed: 42 };

/** Split `bytes` at the given cut points. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

describe('LineSplitter', () => {
  it('any chunking gives the same lines; lines are the input split at \\n with one \\r dropped', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '✓', '😀', '\n', '\r', ' ') }), fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const bytes = new TextEncoder().encode(text);
        const splitter = new LineSplitter(1 << 20);
        const lines = chunked(bytes, cuts).flatMap((chunk) => splitter.push(chunk));
        const last = splitter.flush();
        if (last !== undefined) lines.push(last);
        const expected = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
        if (text.endsWith('\n') || text === '') expected.pop();
        // The unterminated last line keeps its \r.
        if (!text.endsWith('\n') && text !== '') expected[expected.length - 1] = text.split('\n').at(-1)!;
        expect(lines.map((line) => new TextDecoder().decode(line))).toEqual(expected);
      }),
      settings,
    );
  });

  it('a long line comes out in pieces of at most maxLineBytes, each valid UTF-8, nothing lost', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'é', '✓', '😀'), minLength: 1, maxLength: 300 }),
        fc.integer({ min: 4, max: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, max, cuts) => {
          const bytes = new TextEncoder().encode(text);
          const splitter = new LineSplitter(max);
          const pieces = chunked(bytes, cuts).flatMap((chunk) => splitter.push(chunk));
          expect(splitter.pendingBytes).toBeLessThanOrEqual(max);
          const last = splitter.flush();
          if (last !== undefined) pieces.push(last);
          for (const piece of pieces) {
            expect(piece.length).toBeLessThanOrEqual(max);
            expect(() => new TextDecoder('utf-8', { fatal: true }).decode(piece)).not.toThrow();
          }
          expect(concat(pieces)).toEqual(bytes);
        },
      ),
      settings,
    );
  });

  it('random bytes never throw and never hold more than maxLineBytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), fc.integer({ min: 4, max: 64 }), (chunks, max) => {
        const splitter = new LineSplitter(max);
        for (const chunk of chunks) {
          for (const piece of splitter.push(chunk)) expect(piece.length).toBeLessThanOrEqual(max);
          expect(splitter.pendingBytes).toBeLessThanOrEqual(max);
        }
      }),
      settings,
    );
  });

  it('utf8Boundary never cuts inside a character', () => {
    expect(utf8Boundary(new TextEncoder().encode('a✓').subarray(0, 3))).toBe(1);
    expect(utf8Boundary(new TextEncoder().encode('a✓'))).toBe(4);
    expect(utf8Boundary(new Uint8Array([0xff, 0xff]))).toBe(2);
  });
});

describe('textPayload', () => {
  it('valid UTF-8 passes as the same bytes; anything else as the lenient decode', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'grapheme' }).map((text) => new TextEncoder().encode(text))), (bytes) => {
        const payload = textPayload(bytes);
        const lenient = new TextDecoder().decode(bytes);
        if (typeof payload === 'string') {
          expect(payload).toBe(lenient);
          expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
        } else {
          expect(payload).toBe(bytes);
          expect(new TextDecoder('utf-8', { fatal: true }).decode(payload)).toBe(lenient);
        }
      }),
      settings,
    );
  });
});

describe('textPayloads', () => {
  it('one check per valid chunk gives what textPayload gives per line, whatever the chunking, cut pieces and bad bytes', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'é', '✓', '😀', '\n', '\r').map((text) => [...new TextEncoder().encode(text)]),
      fc.constantFrom([0xff], [0x80], [0xe2, 0x9c], [0xc3]),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 4, max: 40 }), fc.boolean(), (units, cuts, max, buffers) => {
        // Node's stream chunks are Buffers, often views on one shared allocation: both shapes.
        const flat = Uint8Array.from(units.flat());
        const bytes = buffers ? Buffer.from(flat) : flat;
        const splitter = new LineSplitter(max);
        for (const chunk of chunked(bytes, cuts)) {
          const lines = splitter.push(chunk);
          const payloads = textPayloads(chunk, lines);
          expect(payloads.length).toBe(lines.length);
          lines.forEach((line, i) => {
            const one = textPayload(line);
            if (typeof one === 'string') expect(payloads[i]).toBe(one);
            else expect(payloads[i]).toBe(line);
          });
        }
      }),
      settings,
    );
  });
});

describe('--path routes', () => {
  it('parses both forms and rejects anything else with a CliError', () => {
    expect(parseRoute('/time=date')).toEqual({ prefix: '/time', program: { command: 'date', args: [] } });
    expect(parseRoute('/greet/=["sh","-c","echo hi"]')).toEqual({ prefix: '/greet', program: { command: 'sh', args: ['-c', 'echo hi'] } });
    for (const bad of ['time=date', '/x=', '/x', '/x=[1]', '/x=[]', '/x=["a",', '/a b=c']) expect(() => parseRoute(bad)).toThrow(CliError);
  });

  it('never throws anything but a CliError, whatever the input', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        try {
          parseRoute(value);
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
        }
      }),
      settings,
    );
  });

  it('the longest matching prefix wins; a prefix matches only at a / boundary', () => {
    const routes = [parseRoute('/a=x'), parseRoute('/a/b=y'), { prefix: '/', program: { command: 'z', args: [] } }];
    expect(matchRoute(routes, '/a')?.program.command).toBe('x');
    expect(matchRoute(routes, '/a/b/c')?.program.command).toBe('y');
    expect(matchRoute(routes, '/ab')?.program.command).toBe('z');
    expect(matchRoute(routes.slice(0, 2), '/ab')).toBeUndefined();
  });
});

describe('--origin', () => {
  it('full origins match exactly, host[:port] entries match like websocketd', () => {
    expect(originMatches('https://app.example', ['https://app.example'])).toBe(true);
    expect(originMatches('https://app.example:8443', ['https://app.example'])).toBe(false);
    expect(originMatches('http://app.example:8080', ['app.example'])).toBe(true);
    expect(originMatches('http://app.example:8080', ['app.example:8080'])).toBe(true);
    expect(originMatches('http://app.example', ['app.example:8080'])).toBe(false);
    expect(originMatches('https://app.example', ['app.example:443'])).toBe(true);
    expect(originMatches('null', ['app.example'])).toBe(false);
    expect(originMatches(undefined, ['app.example'])).toBe(true);
    expect(originMatches('https://evil.example', [])).toBe(true);
  });

  it('never throws on any Origin header', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.string(), { maxLength: 3 }), (origin, allowed) => void originMatches(origin, allowed)), settings);
  });
});

describe('--staticdir paths', () => {
  it('never leaves the root, whatever the URL path', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', 'a', '%2e%2e', '%2f', '%', '%00', 'b.txt', '', '.env', '%5c'), { maxLength: 6 }), (parts) => {
        const target = staticTarget('/srv/site', `/${parts.join('/')}`);
        if (typeof target === 'string') expect(target === '/srv/site' || target.startsWith('/srv/site/')).toBe(true);
        else expect([400, 403]).toContain(target);
      }),
      settings,
    );
    expect(staticTarget('/srv/site', '/')).toBe('/srv/site');
    expect(staticTarget('/srv/site', '/css/a.css')).toBe('/srv/site/css/a.css');
    expect(staticTarget('/srv/site', '/..%2f..%2fetc/passwd')).toBe(403);
    expect(staticTarget('/srv/site', '/.git/config')).toBe(403);
  });
});

describe('CGI environment', () => {
  it('sets what websocketd sets, HTTP_* per header, and never HTTP_PROXY', () => {
    const env = cgiEnvironment(
      {
        remoteAddress: '127.0.0.1',
        remotePort: 5000,
        serverName: 'localhost',
        serverPort: 8080,
        target: '/a/b?x=1',
        path: '/a/b',
        query: 'x=1',
        headers: [
          ['X-Thing', 'one'],
          ['x-thing', 'two'],
          ['Proxy', 'http://evil'],
          ['User-Agent', 'test'],
        ],
        protocol: 'chat',
        secure: false,
        connectionId: '9',
      },
      { PATH: '/usr/bin', SECRET: 'no' },
    );
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: '5000',
      SERVER_NAME: 'localhost',
      SERVER_PORT: '8080',
      PATH_INFO: '/a/b',
      QUERY_STRING: 'x=1',
      REQUEST_URI: '/a/b?x=1',
      SCRIPT_NAME: '/',
      HTTP_X_THING: 'one, two',
      HTTP_USER_AGENT: 'test',
      WEBSOCKET_PROTOCOL: 'chat',
      GATEWAY_INTERFACE: 'websocketd-CGI/0.1',
    });
    expect(env.SECRET).toBeUndefined();
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(env.HTTPS).toBeUndefined();
  });
});

describe('command lines', () => {
  const words = fc.constantFrom(
    '--port', '0', '99999', '-p', '--max-forks', 'x', '-1', '--heartbeat', '1.5', '--origin', 'a.example', '--path', '/x=cat',
    '--shared', '--tag', '--binary', '--cert', '--key', '--', 'cat', 'sh', '-c', '--no-deflate', '--deflate', '--bogus', '=', '',
    '--runtime', 'bun', 'perl', '--max-line', '3', '--close-grace', 'NaN', '--connect', '-H', 'A: b', '--protocol',
  );
  it('serve and connect flags either parse or fail with a CliError (never a crash)', async () => {
    const { parseServeConfig } = await import('../src/serve/serve-config.js');
    const { parseConnectConfig } = await import('../src/connect/connect-command.js');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 8 }), (args) => {
        for (const parse of [parseServeConfig, parseConnectConfig]) {
          try {
            parse(args);
          } catch (error) {
            expect(error).toBeInstanceOf(CliError);
          }
        }
      }),
      { ...settings, numRuns: Math.min(runs, 500) },
    );
  });
});
