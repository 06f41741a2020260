// The path patterns of a server's `path` option: unit cases that read like
// the rules, then properties against a model (segments compared one by one),
// and patterns that break the rules throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseRoute, pathOf } from '../src/adapter/path-router.js';
import { RouteTable, compileRoute } from '../src/adapter/route-pattern.js';

const seed = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const numRuns = Number(process.env['FW_FUZZ_RUNS'] ?? 500);

describe('compileRoute', () => {
  it('matches exact paths, named segments and a trailing wildcard', () => {
    expect(compileRoute('/chat')('/chat')).toEqual({});
    expect(compileRoute('/chat')('/chat/')).toBeUndefined();
    expect(compileRoute('/rooms/:id')('/rooms/42')).toEqual({ id: '42' });
    expect(compileRoute('/rooms/:id')('/rooms/')).toBeUndefined();
    expect(compileRoute('/rooms/:id')('/rooms/1/2')).toBeUndefined();
    expect(compileRoute('/rooms/:id/users/:user')('/rooms/a/users/b')).toEqual({ id: 'a', user: 'b' });
    expect(compileRoute('/files/*')('/files/a/b')).toEqual({ '*': 'a/b' });
    expect(compileRoute('/files/*')('/files/')).toEqual({ '*': '' });
    expect(compileRoute('/files/*')('/files')).toEqual({ '*': '' });
    expect(compileRoute('/files/*')('/filesx')).toBeUndefined();
    expect(compileRoute('/*')('/anything/at/all')).toEqual({ '*': 'anything/at/all' });
    expect(compileRoute('/')('/')).toEqual({});
  });

  it('decodes parameter values and refuses a malformed escape', () => {
    expect(compileRoute('/rooms/:id')('/rooms/a%20b')).toEqual({ id: 'a b' });
    expect(compileRoute('/rooms/:id')('/rooms/%2F')).toEqual({ id: '/' });
    expect(compileRoute('/rooms/:id')('/rooms/%zz')).toBeUndefined();
    expect(compileRoute('/f/*')('/f/%E2%82%AC/x')).toEqual({ '*': '€/x' });
    // Literals compare percent-encoded, as the path arrives.
    expect(compileRoute('/a b')('/a%20b')).toBeUndefined();
  });

  it('throws on patterns that break the rules', () => {
    for (const bad of ['chat', '', '/a/*/b', '/:', '/:1x', '/:id/:id', '/:a-b']) expect(() => compileRoute(bad), bad).toThrow(TypeError);
  });

  it('a table tries its patterns in order', () => {
    const table = new RouteTable(['/rooms/new', '/rooms/:id', '/*']);
    expect(table.match('/rooms/new')).toEqual({});
    expect(table.match('/rooms/9')).toEqual({ id: '9' });
    expect(table.match('/x/y')).toEqual({ '*': 'x/y' });
    expect(new RouteTable('/a').match('/b')).toBeUndefined();
  });
});

// A model: a pattern is a list of parts; a path is a list of non-empty, slash-free segments.
type Part = { literal: string } | { param: string };
const segment = fc.stringMatching(/^[a-z0-9._~-]{1,6}$/);
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
const part: fc.Arbitrary<Part> = fc.oneof(segment.map((literal) => ({ literal })), name.map((param) => ({ param })));

function patternOf(parts: readonly Part[], wildcard: boolean): string {
  const texts = parts.map((p) => ('literal' in p ? p.literal : `:${p.param}`));
  if (wildcard) texts.push('*');
  return `/${texts.join('/')}`;
}

function model(parts: readonly Part[], wildcard: boolean, segments: readonly string[]): Record<string, string> | undefined {
  if (wildcard ? segments.length < parts.length : segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if ('literal' in p) {
      if (p.literal !== segments[i]) return undefined;
    } else params[p.param] = segments[i]!;
  }
  if (wildcard) params['*'] = segments.slice(parts.length).join('/');
  return params;
}

const uniqueParams = (parts: readonly Part[]): boolean => {
  const names = parts.flatMap((p) => ('param' in p ? [p.param] : []));
  return new Set(names).size === names.length;
};

describe('compileRoute properties', () => {
  it('agrees with the segment model on random paths', () => {
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 4 }).filter(uniqueParams),
        fc.boolean(),
        fc.array(fc.oneof(segment, fc.constantFrom('a', 'x', '1')), { maxLength: 6 }),
        (parts, wildcard, segments) => {
          const path = `/${segments.join('/')}`;
          if (parts.length === 0 && !wildcard) return; // '/': covered above
          expect(compileRoute(patternOf(parts, wildcard))(path) ?? undefined).toEqual(model(parts, wildcard, segments));
        },
      ),
      { seed, numRuns },
    );
  });

  it('a path built from the pattern always matches, giving back the values it was built from', () => {
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 4 }).filter(uniqueParams),
        fc.boolean(),
        fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 4, maxLength: 4 }),
        fc.array(segment, { maxLength: 3 }),
        (parts, wildcard, values, rest) => {
          const expected: Record<string, string> = {};
          const segments = parts.map((p, i) => {
            if ('literal' in p) return p.literal;
            expected[p.param] = values[i]!;
            return encodeURIComponent(values[i]!);
          });
          if (wildcard) {
            segments.push(...rest);
            expected['*'] = rest.join('/');
          } else if (rest.length > 0 && compileRoute(patternOf(parts, false))(`/${[...segments, ...rest].join('/')}`) !== undefined) {
            throw new Error('a pattern without * matched extra segments');
          }
          expect(compileRoute(patternOf(parts, wildcard))(`/${segments.join('/')}`)).toEqual(expected);
        },
      ),
      { seed, numRuns },
    );
  });

  it('never throws on any path', () => {
    const matchers = ['/rooms/:id', '/files/*', '/a/:b/c/*', '/x'].map(compileRoute);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (path) => {
        for (const match of matchers) match(path);
      }),
      { seed, numRuns },
    );
  });
});

describe('pathOf and chooseRoute', () => {
  it('take the path of origin- and absolute-form targets', () => {
    expect(pathOf('/chat?x=1')).toBe('/chat');
    expect(pathOf('/a#b')).toBe('/a');
    expect(pathOf('http://h:1/rooms/2?q')).toBe('/rooms/2');
    expect(pathOf('http://h:1')).toBe('/');
    expect(pathOf('h:1')).toBeUndefined();
    expect(pathOf('*')).toBeUndefined();
    expect(pathOf(undefined)).toBeUndefined();
  });

  it('property: the path of an origin-form target is what precedes ? or #, and absolute-form agrees', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined }), (path, query) => {
        const p = path.startsWith('/') ? path : `/${path}`;
        const target = query === undefined ? p : `${p}?${query}`;
        expect(pathOf(target)).toBe(p);
        expect(pathOf(`http://example.test:8080${target}`)).toBe(p);
      }),
      { seed, numRuns },
    );
  });

  it('chooseRoute picks the first route whose matcher takes the path', () => {
    const routes = [new RouteTable('/a/:x'), new RouteTable('/*')].map((table, i) => ({ i, matches: (p: string) => table.match(p) !== undefined }));
    expect(chooseRoute(routes, '/a/1?z')?.i).toBe(0);
    expect(chooseRoute(routes, '/b')?.i).toBe(1);
    expect(chooseRoute([routes[0]!], '/b')).toBeUndefined();
    expect(chooseRoute(routes, 'garbage')).toBeUndefined();
  });
});
