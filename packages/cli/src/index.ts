/**
 * framewire: the command-line package. The `framewire` bin runs
 * {@link main}; the pieces are exported for embedding and tests.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export { CliError } from './cli-error.js';
export { parseServeConfig } from './serve/serve-config.js';
export type { ServeConfig } from './serve/serve-config.js';
export { startServe } from './serve/serve-command.js';
export type { RunningServe } from './serve/serve-command.js';
export { parseConnectConfig, runConnect, describeConnectError } from './connect/connect-command.js';
export type { ConnectConfig } from './connect/connect-command.js';
export { parseRelayConfig, startRelay } from './relay-commands.js';
export type { RelayConfig } from './relay-commands.js';
export { LineSplitter, utf8Boundary, DEFAULT_MAX_LINE_BYTES } from './serve/line-splitter.js';
export { cgiEnvironment, DEFAULT_PASS_ENV } from './serve/cgi-env.js';
export type { CgiRequest } from './serve/cgi-env.js';
export { parseRoute, matchRoute } from './serve/routes.js';
export type { Route } from './serve/routes.js';
export { originMatches } from './serve/access.js';
export { staticTarget } from './serve/static-files.js';
export { RESTART_NOTICE_PREFIX } from './serve/shared-program.js';
export type { Log } from './log.js';
