// The CONNECT tunnel's pure parts: proxy URLs, the environment rules
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and the proxy's answer in any chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProxyTunnel, parseProxyUrl, proxyFor, type TunnelResult } from '../src/adapter/proxy.js';
import { parseWebSocketUrl } from '../src/protocol/handshake-client.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 500);
const wss = parseWebSocketUrl('wss://api.example.com/feed');
const ws = parseWebSocketUrl('ws://api.example.com:8080/feed');

describe('parseProxyUrl', () => {
  it('takes host, port (80 by default) and basic credentials, and hides the password in its label', () => {
    const proxy = parseProxyUrl('http://user:p%40ss@Proxy.Example:3128');
    expect(proxy).toMatchObject({ host: 'proxy.example', port: 3128, label: 'http://user:***@proxy.example:3128' });
    expect(proxy.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(parseProxyUrl('http://[::1]/')).toMatchObject({ host: '::1', port: 80, authorization: undefined });
  });
  it('refuses other schemes and junk with FW_ERR_INVALID_URL', () => {
    for (const bad of ['https://proxy:443', 'socks5://proxy:1080', 'proxy:3128', 'http://', 'http://a:99999', 'http://x/path']) {
      expect(() => parseProxyUrl(bad), bad).toThrow(expect.objectContaining({ code: 'FW_ERR_INVALID_URL' }));
    }
  });
});

describe('proxyFor', () => {
  it('an explicit URL wins; false or nothing means direct', () => {
    expect(proxyFor(wss, 'http://p:1')?.port).toBe(1);
    expect(proxyFor(wss, false, { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
    expect(proxyFor(wss, undefined, { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
  });
  it('fromEnv: HTTPS_PROXY for wss, HTTP_PROXY for ws, lower case first', () => {
    const env = { HTTPS_PROXY: 'http://secure:1', HTTP_PROXY: 'http://plain:2', https_proxy: 'http://lower:3' };
    expect(proxyFor(wss, { fromEnv: true }, env)?.host).toBe('lower');
    expect(proxyFor(ws, { fromEnv: true }, env)?.host).toBe('plain');
    expect(proxyFor(ws, { fromEnv: true }, {})).toBeUndefined();
  });
  it('NO_PROXY: *, exact names, domain suffixes with or without a dot, and ports', () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1', NO_PROXY: noProxy });
    for (const bypass of ['*', 'api.example.com', 'example.com', '.example.com', '*.example.com', 'other, example.com', 'example.com:443']) {
      expect(proxyFor(wss, { fromEnv: true }, env(bypass)), bypass).toBeUndefined();
    }
    for (const keep of ['pi.example.com', 'example.org', 'example.com:8443', 'xexample.com']) {
      expect(proxyFor(wss, { fromEnv: true }, env(keep)), keep).toBeDefined();
    }
    expect(proxyFor(ws, { fromEnv: true }, env('example.com:8080'))).toBeUndefined();
  });
});

describe('ProxyTunnel', () => {
  const proxy = parseProxyUrl('http://u:pw@proxy:3128');
  const answer = (tunnel: ProxyTunnel, bytes: Uint8Array, cuts: number[]): TunnelResult => {
    let result: TunnelResult = { type: 'need-more' };
    let from = 0;
    for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
      result = tunnel.push(bytes.subarray(from, cut));
      from = cut;
      if (result.type !== 'need-more') break;
    }
    return result;
  };

  it('writes an authority-form CONNECT with Host and Proxy-Authorization', () => {
    const text = new TextDecoder().decode(new ProxyTunnel(proxy, parseWebSocketUrl('wss://[::1]:9443/')).request());
    expect(text).toBe(`CONNECT [::1]:9443 HTTP/1.1\r\nHost: [::1]:9443\r\nProxy-Authorization: Basic ${Buffer.from('u:pw').toString('base64')}\r\n\r\n`);
  });

  it('any chunking: 2xx opens, other statuses refuse with FW_ERR_PROXY naming the status, bytes after the 200 refuse', () => {
    const heads = fc.constantFrom(
      ['HTTP/1.1 200 Connection established\r\n\r\n', 'open'],
      ['HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n', 'open'],
      ['HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n', '407'],
      ['HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', '403'],
      ['HTTP/1.1 200 OK\r\n\r\nsurprise', 'bytes after'],
      ['SSH-2.0-OpenSSH\r\n\r\n', 'invalid answer'],
    );
    fc.assert(
      fc.property(heads, fc.array(fc.nat(80), { maxLength: 6 }), ([head, expected], cuts) => {
        const result = answer(new ProxyTunnel(proxy, ws), new TextEncoder().encode(head), cuts);
        // Bytes in a later chunk than the head's end are the upgrade's to judge, not the tunnel's.
        const headEnd = head.indexOf('\r\n\r\n') + 4;
        if (expected === 'open' || (expected === 'bytes after' && cuts.includes(headEnd))) expect(result.type).toBe('open');
        else {
          expect(result.type).toBe('refused');
          if (result.type === 'refused') {
            expect(result.error.code).toBe('FW_ERR_PROXY');
            expect(result.error.message).toContain(expected);
          }
        }
      }),
      { seed: 0x9c0, numRuns: runs },
    );
  });
});
