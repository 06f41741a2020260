/**
 * Path patterns of a server's `path` option: `/chat` (exact), `/rooms/:id`
 * (a named segment) and `/files/*` (the rest of the path). Matching works on
 * the percent-encoded path segments; parameter values are decoded.
 *
 * @module
 */

/**
 * The parameters a pattern names, as a type: `RouteParams<'/rooms/:id/*'>`
 * is `{ id: string; '*': string }`; a pattern without any gives `{}`.
 */
export type RouteParams<Pattern extends string> = string extends Pattern
  ? Readonly<Record<string, string>>
  : Readonly<SegmentParams<Pattern>>;

type SegmentParams<Path extends string> = Path extends `${infer Head}/${infer Tail}`
  ? ParamOf<Head> & SegmentParams<Tail>
  : ParamOf<Path>;

type ParamOf<Segment extends string> = Segment extends `:${infer Name}`
  ? { [K in Name]: string }
  : Segment extends '*'
    ? { '*': string }
    : unknown;

/** Parameters of a matched path: a frozen name → decoded value map. */
export type PathParams = Readonly<Record<string, string>>;

/** A compiled pattern: the parameters when `path` matches, `undefined` otherwise. */
export type RouteMatcher = (path: string) => PathParams | undefined;

const NO_PARAMS: PathParams = Object.freeze({});

/** One pattern segment: a literal, a named parameter, or the trailing wildcard. */
type Segment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'param'; readonly name: string };

/** Parameter names: what a JavaScript identifier allows, so `RouteParams` keys read naturally. */
const PARAM_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Compile a `path` pattern. Rules: it starts with `/`; `:name` matches one
 * non-empty segment; a final `*` segment matches the rest (possibly empty,
 * as `params['*']`: `/files/*` takes `/files`, `/files/` and `/files/a/b`);
 * every other segment matches itself exactly.
 *
 * @throws TypeError for a pattern that breaks the rules (no leading `/`, a
 * `*` not last, a bad or repeated parameter name).
 */
export function compileRoute(pattern: string): RouteMatcher {
  if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with '/': ${JSON.stringify(pattern)}`);
  const parts = pattern.slice(1).split('/');
  const wildcard = parts[parts.length - 1] === '*';
  if (wildcard) parts.pop();
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (const part of parts) {
    if (part === '*') throw new TypeError(`'*' may only end a route pattern: ${JSON.stringify(pattern)}`);
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name) || names.has(name)) {
        throw new TypeError(`bad or repeated parameter ${JSON.stringify(part)} in route pattern ${JSON.stringify(pattern)}`);
      }
      names.add(name);
      segments.push({ kind: 'param', name });
    } else segments.push({ kind: 'literal', text: part });
  }
  // A pattern of literals only is a string comparison, as the exact paths were before.
  if (!wildcard && names.size === 0) return (path) => (path === pattern ? NO_PARAMS : undefined);
  return (path) => matchSegments(segments, wildcard, path);
}

function matchSegments(segments: readonly Segment[], wildcard: boolean, path: string): PathParams | undefined {
  if (!path.startsWith('/')) return undefined;
  const params: Record<string, string> = {};
  let at = 1;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const slash = path.indexOf('/', at);
    const last = i === segments.length - 1;
    // Without a wildcard the last segment runs to the end of the path.
    if (last && !wildcard && slash !== -1) return undefined;
    if (!last && slash === -1) return undefined;
    const end = slash === -1 ? path.length : slash;
    const text = path.slice(at, end);
    if (segment.kind === 'literal') {
      if (text !== segment.text) return undefined;
    } else {
      if (text.length === 0) return undefined;
      const value = decode(text);
      if (value === undefined) return undefined;
      params[segment.name] = value;
    }
    at = end + 1;
  }
  if (wildcard) {
    const rest = at > path.length ? '' : decode(path.slice(at));
    if (rest === undefined) return undefined;
    params['*'] = rest;
  }
  return Object.freeze(params);
}

/** Percent-decode one segment; `undefined` for a malformed escape (the route does not match). */
function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * The routes of a server: its patterns, tried in order. Paths no pattern
 * takes get `undefined` (the server answers 404).
 */
export class RouteTable {
  readonly #matchers: readonly RouteMatcher[];

  /** @throws TypeError for a malformed pattern (see {@link compileRoute}). */
  constructor(patterns: string | readonly string[]) {
    this.#matchers = (typeof patterns === 'string' ? [patterns] : patterns).map(compileRoute);
  }

  /** The parameters of the first pattern `path` matches, `undefined` when none does. */
  match(path: string): PathParams | undefined {
    for (const matcher of this.#matchers) {
      const params = matcher(path);
      if (params !== undefined) return params;
    }
    return undefined;
  }
}
