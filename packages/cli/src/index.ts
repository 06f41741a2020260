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
export { parseHubConfig, SECRET_ENV } from './hub/hub-config.js';
export type { HubConfig } from './hub/hub-config.js';
export { startHubCommand } from './hub/hub-command.js';
export { startHub, HUB_PROTOCOL } from './hub/hub-server.js';
export type { RunningHub } from './hub/hub-server.js';
export { openHubBackend } from './hub/backend.js';
export type { BackendHealth, HubBackend, HubBackendOptions } from './hub/backend.js';
export { Permissions, topicNameProblem, patternProblem, MAX_HUB_TOPIC_LENGTH } from './hub/topic-rules.js';
export type { TopicRights } from './hub/topic-rules.js';
export { LiveMerge } from './hub/live-merge.js';
export { TicketStore, TICKET_TTL_MS } from './hub/tickets.js';
