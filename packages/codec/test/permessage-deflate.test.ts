// RFC 7692 §5, §7.1: permessage-deflate negotiation, both roles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExtensions } from '../src/protocol/extension-header.js';
import { ProtocolError } from '../src/protocol/errors.js';
import {
  acceptDeflateResponse,
  formatDeflateOffer,
  formatDeflateOffers,
  parseDeflateOffer,
  selectDeflateOffer,
} from '../src/protocol/permessage-deflate.js';
import type { DeflateOffer, DeflateParameters, DeflateServerPolicy } from '../src/protocol/permessage-deflate.js';
import { permessageDeflate } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import type { ExtensionNegotiator } from '../src/session/upgrade.js';
import { fuzzRuns } from './deflate-helpers.js';

function header(value: string) {
  const parsed = parseExtensions([value]);
  if (!parsed.ok) throw new Error(`test header does not parse: ${parsed.reason}`);
  return parsed.value;
}

const DEFAULTS: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

describe('client offers (RFC 7692 §7.1)', () => {
  it('writes every parameter, with and without values', () => {
    expect(formatDeflateOffer({})).toBe('permessage-deflate');
    expect(
      formatDeflateOffer({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 12,
      }),
    ).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    );
    expect(formatDeflateOffer({ clientMaxWindowBits: true })).toBe('permessage-deflate; client_max_window_bits');
  });

  it('writes several offers in order of preference', () => {
    expect(formatDeflateOffers([{ serverMaxWindowBits: 10 }, { clientMaxWindowBits: true }])).toBe(
      'permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
    );
  });

  it('refuses window bits outside 8..15 as local misuse', () => {
    for (const bad of [7, 16, 0, 9.5, Number.NaN]) {
      expect(() => formatDeflateOffer({ serverMaxWindowBits: bad })).toThrow(RangeError);
      expect(() => formatDeflateOffer({ clientMaxWindowBits: bad })).toThrow(RangeError);
      expect(() => permessageDeflate({ serverMaxWindowBits: bad })).toThrow(RangeError);
    }
  });

  it('the default client offer names client_max_window_bits so a server may limit us', () => {
    expect(permessageDeflate().offer()).toBe('permessage-deflate; client_max_window_bits');
    expect(permessageDeflate({ clientMaxWindowBits: false }).offer()).toBe('permessage-deflate');
  });
});

describe('parsing an offer', () => {
  it('reads all four parameters', () => {
    const [el] = header('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits');
    expect(parseDeflateOffer(el!)).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: true,
    });
  });

  it.each([
    ['permessage-deflate; server_max_window_bits', /invalid value/],
    ['permessage-deflate; server_max_window_bits=7', /invalid value/],
    ['permessage-deflate; server_max_window_bits=16', /invalid value/],
    ['permessage-deflate; server_max_window_bits=010', /invalid value/],
    ['permessage-deflate; client_max_window_bits=8a', /invalid value/],
    ['permessage-deflate; server_no_context_takeover=1', /takes no value/],
    ['permessage-deflate; client_no_context_takeover=true', /takes no value/],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', /duplicate/],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', /duplicate/],
    ['permessage-deflate; x_unknown', /unknown parameter/],
  ])('declines %s', (value, reason) => {
    const result = parseDeflateOffer(header(value)[0]!);
    expect(typeof result).toBe('string');
    expect(result).toMatch(reason);
  });

  it('accepts a quoted value once the header parser unquoted it', () => {
    expect(parseDeflateOffer(header('permessage-deflate; server_max_window_bits="10"')[0]!)).toMatchObject({
      serverMaxWindowBits: 10,
    });
  });
});

describe('server selection (RFC 7692 §5.1, §7.1)', () => {
  const select = (value: string, policy?: DeflateServerPolicy) => selectDeflateOffer(header(value), policy);

  it('accepts a bare offer with a bare response and default parameters', () => {
    const s = select('permessage-deflate');
    expect(s?.response).toBe('permessage-deflate');
    expect(s?.params).toEqual(DEFAULTS);
  });

  it('confirms server_no_context_takeover when asked', () => {
    const s = select('permessage-deflate; server_no_context_takeover');
    expect(s?.response).toBe('permessage-deflate; server_no_context_takeover');
    expect(s?.params.serverNoContextTakeover).toBe(true);
  });

  it('names server_no_context_takeover unasked when the policy says so', () => {
    const s = select('permessage-deflate', { serverNoContextTakeover: true });
    expect(s?.response).toBe('permessage-deflate; server_no_context_takeover');
  });

  it('echoes client_no_context_takeover and may name it unasked (§7.1.1.2)', () => {
    expect(select('permessage-deflate; client_no_context_takeover')?.response).toBe(
      'permessage-deflate; client_no_context_takeover',
    );
    expect(select('permessage-deflate', { clientNoContextTakeover: true })?.response).toBe(
      'permessage-deflate; client_no_context_takeover',
    );
  });

  it('answers server_max_window_bits with the same or a smaller value (§7.1.2.1)', () => {
    expect(select('permessage-deflate; server_max_window_bits=10')?.response).toBe(
      'permessage-deflate; server_max_window_bits=10',
    );
    const s = select('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 9 });
    expect(s?.response).toBe('permessage-deflate; server_max_window_bits=9');
    expect(s?.params.serverMaxWindowBits).toBe(9);
    expect(select('permessage-deflate; server_max_window_bits=8', { serverMaxWindowBits: 12 })?.params.serverMaxWindowBits).toBe(8);
  });

  it('names server_max_window_bits unasked when its policy is below 15', () => {
    expect(select('permessage-deflate', { serverMaxWindowBits: 11 })?.response).toBe(
      'permessage-deflate; server_max_window_bits=11',
    );
    expect(select('permessage-deflate', { serverMaxWindowBits: 15 })?.response).toBe('permessage-deflate');
  });

  it('limits the client window only when the client offered client_max_window_bits (§7.1.2.2)', () => {
    const s = select('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 });
    expect(s?.response).toBe('permessage-deflate; client_max_window_bits=10');
    expect(s?.params.clientMaxWindowBits).toBe(10);
    // A value in the offer caps what we answer.
    expect(select('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 })?.params.clientMaxWindowBits).toBe(9);
    // Without a policy: a bare parameter is not answered, a value is echoed.
    expect(select('permessage-deflate; client_max_window_bits')?.response).toBe('permessage-deflate');
    expect(select('permessage-deflate; client_max_window_bits=11')?.response).toBe(
      'permessage-deflate; client_max_window_bits=11',
    );
    // A client that cannot be limited is declined when the policy requires a limit.
    expect(select('permessage-deflate', { clientMaxWindowBits: 10 })).toBeUndefined();
  });

  it('takes the first acceptable offer, skipping invalid ones and other extensions', () => {
    const s = select(
      'x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=99, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10, permessage-deflate',
    );
    expect(s?.index).toBe(3);
    expect(s?.params.serverMaxWindowBits).toBe(10);
  });

  it('skips offers the policy cannot meet and takes a later one', () => {
    const s = select('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 9 });
    expect(s?.index).toBe(1);
    expect(s?.params.clientMaxWindowBits).toBe(9);
  });

  it('declines when every offer is invalid', () => {
    expect(select('permessage-deflate; client_max_window_bits=7, permessage-deflate; a=b')).toBeUndefined();
    expect(selectDeflateOffer([])).toBeUndefined();
  });
});

describe('client validation of the response', () => {
  const accept = (value: string, offers: DeflateOffer[]) => acceptDeflateResponse(header(value), offers);
  const failsWith1010 = (result: unknown) => {
    expect(result).toBeInstanceOf(ProtocolError);
    expect((result as ProtocolError).code).toBe('FW_ERR_EXTENSION');
    expect((result as ProtocolError).closeCode).toBe(1010);
  };

  it('returns undefined when the server did not accept the extension', () => {
    expect(acceptDeflateResponse(header('x-other'), [{}])).toBeUndefined();
    expect(acceptDeflateResponse([], [{}])).toBeUndefined();
  });

  it('reads the agreed parameters', () => {
    expect(
      accept('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10', [
        { clientMaxWindowBits: true },
      ]),
    ).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 });
  });

  it('accepts server_no_context_takeover and server_max_window_bits named unasked', () => {
    expect(accept('permessage-deflate; server_no_context_takeover; server_max_window_bits=12', [{}])).toMatchObject({
      serverNoContextTakeover: true,
      serverMaxWindowBits: 12,
    });
  });

  it('keeps its own promises: client_no_context_takeover and a capped client window offered', () => {
    expect(accept('permessage-deflate', [{ clientNoContextTakeover: true, clientMaxWindowBits: 11 }])).toEqual({
      ...DEFAULTS,
      clientNoContextTakeover: true,
      clientMaxWindowBits: 11,
    });
  });

  it.each([
    ['permessage-deflate; client_max_window_bits=10', [{}], 'client_max_window_bits not offered'],
    ['permessage-deflate; client_max_window_bits=12', [{ clientMaxWindowBits: 10 }], 'client window above our cap'],
    ['permessage-deflate; client_max_window_bits', [{ clientMaxWindowBits: true }], 'client_max_window_bits without a value'],
    ['permessage-deflate; server_max_window_bits=12', [{ serverMaxWindowBits: 10 }], 'server window above what we asked'],
    ['permessage-deflate', [{ serverMaxWindowBits: 10 }], 'server_max_window_bits asked but not confirmed'],
    ['permessage-deflate', [{ serverNoContextTakeover: true }], 'server_no_context_takeover asked but not confirmed'],
    ['permessage-deflate; server_max_window_bits=7', [{}], 'value out of range'],
    ['permessage-deflate; server_max_window_bits=16', [{}], 'value out of range'],
    ['permessage-deflate; server_no_context_takeover=x', [{}], 'value on a valueless parameter'],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', [{}], 'duplicate'],
    ['permessage-deflate; mystery', [{}], 'unknown parameter'],
    ['permessage-deflate, permessage-deflate', [{}, {}], 'accepted twice'],
  ] as const)('fails the connection with 1010 on %s (%s)', (value, offers, _why) => {
    failsWith1010(accept(value, [...offers]));
  });

  it('matches the response against any of several offers', () => {
    const offers: DeflateOffer[] = [{ serverNoContextTakeover: true, serverMaxWindowBits: 9 }, { clientMaxWindowBits: true }];
    expect(accept('permessage-deflate; client_max_window_bits=12', offers)).toMatchObject({ clientMaxWindowBits: 12 });
    expect(accept('permessage-deflate; server_no_context_takeover; server_max_window_bits=9', offers)).toMatchObject({
      serverNoContextTakeover: true,
      serverMaxWindowBits: 9,
    });
    failsWith1010(accept('permessage-deflate; server_max_window_bits=12; client_max_window_bits=10', [{ serverMaxWindowBits: 10 }, {}]));
  });
});

describe('every client offer × server policy (property, fixed seed)', () => {
  const bits = fc.integer({ min: 8, max: 15 });
  const offerArb: fc.Arbitrary<DeflateOffer> = fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: bits,
      clientMaxWindowBits: fc.oneof(fc.constant(true as const), bits),
    },
    { requiredKeys: [] },
  );
  const policyArb: fc.Arbitrary<DeflateServerPolicy> = fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: bits,
      clientMaxWindowBits: bits,
    },
    { requiredKeys: [] },
  );

  it('the server answers validly and both ends agree on the parameters', () => {
    fc.assert(
      fc.property(fc.array(offerArb, { minLength: 1, maxLength: 3 }), policyArb, (offers, policy) => {
        const elements = header(formatDeflateOffers(offers));
        const selection = selectDeflateOffer(elements, policy);
        const mustDecline = offers.every((o) => policy.clientMaxWindowBits !== undefined && o.clientMaxWindowBits === undefined);
        if (selection === undefined) {
          expect(mustDecline).toBe(true);
          return;
        }
        expect(mustDecline).toBe(false);
        const chosen = offers[selection.index]!;
        const agreedByClient = acceptDeflateResponse(header(selection.response), offers);
        expect(agreedByClient).not.toBeInstanceOf(ProtocolError);
        const server = selection.params;
        // The client's view equals the server's, except that a client's own
        // promises (no takeover, a capped window) may make it stricter than
        // the server assumes, never looser.
        const client = agreedByClient as DeflateParameters;
        expect(client.serverNoContextTakeover).toBe(server.serverNoContextTakeover);
        expect(client.serverMaxWindowBits).toBe(server.serverMaxWindowBits);
        expect(client.clientMaxWindowBits).toBeLessThanOrEqual(server.clientMaxWindowBits);
        if (server.clientNoContextTakeover) expect(client.clientNoContextTakeover).toBe(true);
        // The RFC's constraints on the answer.
        if (chosen.serverNoContextTakeover) expect(server.serverNoContextTakeover).toBe(true);
        if (chosen.serverMaxWindowBits !== undefined) expect(server.serverMaxWindowBits).toBeLessThanOrEqual(chosen.serverMaxWindowBits);
        if (policy.serverMaxWindowBits !== undefined) expect(server.serverMaxWindowBits).toBeLessThanOrEqual(policy.serverMaxWindowBits);
        if (policy.clientMaxWindowBits !== undefined) expect(server.clientMaxWindowBits).toBeLessThanOrEqual(policy.clientMaxWindowBits);
        if (policy.serverNoContextTakeover) expect(server.serverNoContextTakeover).toBe(true);
        if (policy.clientNoContextTakeover) expect(client.clientNoContextTakeover).toBe(true);
        if (chosen.clientMaxWindowBits === undefined) expect(selection.response).not.toMatch(/client_max_window_bits/);
        // Earlier offers were declined only because the policy could not meet them.
        for (const earlier of offers.slice(0, selection.index)) {
          expect(policy.clientMaxWindowBits !== undefined && earlier.clientMaxWindowBits === undefined).toBe(true);
        }
      }),
      { seed: 7692, numRuns: fuzzRuns(10_000) },
    );
  });

  it('random parameter lists never throw and invalid ones are declined or fail with 1010', () => {
    const name = fc.constantFrom(
      'server_no_context_takeover',
      'client_no_context_takeover',
      'server_max_window_bits',
      'client_max_window_bits',
      'SERVER_MAX_WINDOW_BITS',
      'x',
    );
    const value = fc.oneof(fc.constant(true as const), fc.constantFrom('8', '9', '15', '16', '7', '08', '', 'abc'));
    const element = fc.record({
      name: fc.constantFrom('permessage-deflate', 'x-other'),
      params: fc.array(fc.tuple(name, value), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 4 }), policyArb, fc.array(offerArb, { minLength: 1, maxLength: 2 }), (elements, policy, offers) => {
        const selection = selectDeflateOffer(elements, policy);
        if (selection !== undefined) {
          const chosen = elements[selection.index]!;
          expect(typeof parseDeflateOffer(chosen)).toBe('object');
          // Our answer always satisfies the offer it answers.
          const check = acceptDeflateResponse(header(selection.response), [parseDeflateOffer(chosen) as DeflateOffer]);
          expect(check).not.toBeInstanceOf(ProtocolError);
        }
        const response = acceptDeflateResponse(elements, offers);
        if (response instanceof ProtocolError) expect(response.closeCode).toBe(1010);
      }),
      { seed: 6455, numRuns: fuzzRuns(10_000) },
    );
  });
});

describe('permessageDeflate() negotiator', () => {
  it('is an ExtensionNegotiator for the upgrade drivers', () => {
    const negotiator: ExtensionNegotiator = permessageDeflate({ threshold: 1024 });
    expect(negotiator.name).toBe('permessage-deflate');
  });

  it('negotiates end to end and builds working extensions for both roles', async () => {
    const client = permessageDeflate({ serverMaxWindowBits: 10, clientNoContextTakeover: true, threshold: 0 });
    const server = permessageDeflate({ clientMaxWindowBits: 9, compressor: pakoCompressor(), threshold: 0 });
    const accepted = server.negotiateServer(header(client.offer()));
    expect(accepted?.response).toBe(
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
    const clientExt = client.acceptClient(header(accepted!.response));
    expect(clientExt).not.toBeInstanceOf(ProtocolError);
    if (clientExt === undefined || clientExt instanceof ProtocolError) throw new Error('not accepted');
    const text = new TextEncoder().encode('hello hello hello hello'.repeat(20));
    const toClient = await accepted!.extension.encode(text);
    expect(await clientExt.decode([toClient!], 1 << 20)).toEqual(text);
    const toServer = await clientExt.encode(text);
    expect(await accepted!.extension.decode([toServer!], 1 << 20)).toEqual(text);
    clientExt.dispose();
    accepted!.extension.dispose();
  });

  it('offers several configurations and accepts the server choosing a later one', () => {
    const client = permessageDeflate({ offers: [{ serverNoContextTakeover: true, serverMaxWindowBits: 9 }, { clientMaxWindowBits: true }] });
    expect(client.offer()).toBe(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=9, permessage-deflate; client_max_window_bits',
    );
    const server = permessageDeflate({ clientMaxWindowBits: 11 });
    const accepted = server.negotiateServer(header(client.offer()));
    expect(accepted?.params).toEqual({ ...DEFAULTS, clientMaxWindowBits: 11 });
    const ext = client.acceptClient(header(accepted!.response));
    expect(ext).toBeDefined();
    expect(ext).not.toBeInstanceOf(ProtocolError);
    (ext as { dispose(): void }).dispose();
    accepted!.extension.dispose();
  });

  it('the client fails with 1010 on a response it did not ask for', () => {
    const client = permessageDeflate({ clientMaxWindowBits: false });
    const result = client.acceptClient(header('permessage-deflate; client_max_window_bits=10'));
    expect(result).toBeInstanceOf(ProtocolError);
    expect((result as ProtocolError).closeCode).toBe(1010);
  });
});
