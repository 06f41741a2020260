/**
 * The CGI-style environment a served program gets, as websocketd 0.4.1 sets
 * it (checked by running its `env` under it), plus what websocketd leaves
 * out: the negotiated subprotocol and a connection id.
 *
 * @module
 */

/** What the environment is built from: one upgrade request and its socket. */
export interface CgiRequest {
  /** Client address and port (the TCP peer). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Server address and port the client reached. */
  readonly serverName: string;
  readonly serverPort: number;
  /** The request target as sent (`/chat?room=1`). */
  readonly target: string;
  /** The path, still percent-encoded. */
  readonly path: string;
  /** The raw query without `?`. */
  readonly query: string;
  /** Request headers as `[name, value]` pairs, repeats kept. */
  readonly headers: Iterable<readonly [string, string]>;
  /** The subprotocol the server chose, '' when none. */
  readonly protocol: string;
  /** wss:// (TLS) or ws://. */
  readonly secure: boolean;
  /** The connection id used in the log. */
  readonly connectionId: string;
}

/** Parent variables passed through by default, as websocketd's `--passenv` default. */
export const DEFAULT_PASS_ENV: readonly string[] = ['PATH', 'LD_LIBRARY_PATH'];

/** The value of `SERVER_SOFTWARE`. */
export const SERVER_SOFTWARE = 'framewire/0.1';

/**
 * Build the program's environment: the parent variables named in `passEnv`
 * (when set), then the CGI variables, then one `HTTP_*` per request header
 * (name upper-cased, `-` → `_`; repeated headers joined with `, `; never
 * `HTTP_PROXY`, the httpoxy hole).
 * `SCRIPT_NAME` is the route's prefix (`/` for the default program) and
 * `PATH_INFO` the request path, as websocketd does for one program.
 */
export function cgiEnvironment(
  request: CgiRequest,
  parent: Readonly<Record<string, string | undefined>>,
  passEnv: readonly string[] = DEFAULT_PASS_ENV,
  scriptName = '/',
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of passEnv) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    SERVER_SOFTWARE,
    REMOTE_ADDR: request.remoteAddress,
    REMOTE_HOST: request.remoteAddress,
    REMOTE_PORT: String(request.remotePort),
    SERVER_NAME: request.serverName,
    SERVER_PORT: String(request.serverPort),
    SERVER_PROTOCOL: 'HTTP/1.1',
    GATEWAY_INTERFACE: 'websocketd-CGI/0.1',
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: scriptName,
    PATH_INFO: request.path,
    PATH_TRANSLATED: request.path,
    QUERY_STRING: request.query,
    REQUEST_URI: request.target,
    AUTH_TYPE: '',
    CONTENT_LENGTH: '',
    CONTENT_TYPE: '',
    REMOTE_IDENT: '',
    REMOTE_USER: '',
    UNIQUE_ID: request.connectionId,
    WEBSOCKET_PROTOCOL: request.protocol,
  });
  if (request.secure) env.HTTPS = 'on';
  const seen = new Set<string>();
  for (const [name, value] of request.headers) {
    const key = headerVariable(name);
    // httpoxy: a `Proxy:` header must not become the HTTP_PROXY many programs obey.
    if (key === 'HTTP_PROXY') continue;
    env[key] = seen.has(key) ? `${env[key]}, ${value}` : value;
    seen.add(key);
  }
  return env;
}

/** Header name → variable name, for the names clients keep sending (bounded: cleared when full). */
const variables = new Map<string, string>();
const MAX_CACHED_NAMES = 256;

/** `HTTP_` and the header name upper-cased, every other character than A-Z and 0-9 as `_`. */
export function headerVariable(name: string): string {
  let key = variables.get(name);
  if (key === undefined) {
    key = `HTTP_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    if (variables.size >= MAX_CACHED_NAMES) variables.clear();
    variables.set(name, key);
  }
  return key;
}
