/**
 * `--path` routing: which program serves which URL path.
 *
 * Syntax (no shell involved, so no quoting rules of ours):
 * - `--path /time=date` runs the executable `date` (no arguments) for `/time`;
 * - `--path '/greet=["sh","-c","echo hi $QUERY_STRING"]'` gives the program
 *   and its arguments as a JSON array of strings.
 *
 * A route matches its path exactly or as a prefix followed by `/`
 * (`/time` takes `/time` and `/time/utc`); the longest match wins. The
 * program after `--` (if any) serves every other path; without one, other
 * paths get 404.
 *
 * @module
 */
import { CliError } from '../cli-error.js';
import type { ProgramSpec } from './program-process.js';

/** One route: a path prefix and its program. */
export interface Route {
  /** `/` for the default program. */
  readonly prefix: string;
  readonly program: ProgramSpec;
}

/** Parse one `--path` value (see the module comment). */
export function parseRoute(value: string): Route {
  const equals = value.indexOf('=');
  const prefix = equals === -1 ? '' : value.slice(0, equals);
  const target = equals === -1 ? '' : value.slice(equals + 1);
  if (!prefix.startsWith('/') || target === '' || /[?#\s]/.test(prefix)) {
    throw new CliError(`--path: expected /PATH=PROGRAM or /PATH=["PROGRAM","ARG",...], got ${JSON.stringify(value)}`);
  }
  const normalized = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (!target.startsWith('[')) return { prefix: normalized, program: { command: target, args: [] } };
  let words: unknown;
  try {
    words = JSON.parse(target);
  } catch {
    words = undefined;
  }
  if (!Array.isArray(words) || words.length === 0 || !words.every((word): word is string => typeof word === 'string') || words[0] === '') {
    throw new CliError(`--path ${prefix}: the program must be a JSON array of strings, the first one the executable, got ${target}`);
  }
  const [command, ...args] = words as string[];
  return { prefix: normalized, program: { command: command!, args } };
}

/** The route for a request path: the longest matching prefix, else the default (`/`) route, else `undefined`. */
export function matchRoute(routes: readonly Route[], path: string): Route | undefined {
  let best: Route | undefined;
  for (const route of routes) {
    const matches =
      route.prefix === '/' || path === route.prefix || (path.startsWith(route.prefix) && path[route.prefix.length] === '/');
    if (matches && (best === undefined || route.prefix.length > best.prefix.length)) best = route;
  }
  return best;
}
