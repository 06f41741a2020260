/**
 * `framewire hub`: the HTTP routes and WebSocket upgrades of the topic hub
 * on one Node http server (see the "Hub" section of the CLI README for the
 * protocol). Everything a request may be refused for is decided before the
 * upgrade, with a status and a one-line reason.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  WebSocketServer,
  accept,
  getQueryParam,
  reject,
  type AcceptDecision,
  type Session,
  type UpgradeRequest,
} from '@framewire/node-adapter';
import { PROMETHEUS_CONTENT_TYPE, formatPrometheus } from '@framewire/codec/adapter';
import type { Log } from '../log.js';
import { METRICS_PATH } from '../serve/metrics-endpoint.js';
import { TokenVerifier, tokenOf } from './auth.js';
import { openHubBackend, type BackendHealth, type HubBackend } from './backend.js';
import { toEnvelope } from './envelope.js';
import type { HubConfig } from './hub-config.js';
import { HubCounters, formatHubPrometheus } from './hub-metrics.js';
import { HubTopics, payloadBytes, type DeliveryMode } from './hub-topics.js';
import { TICKET_TTL_MS, TicketStore } from './tickets.js';
import { Permissions, topicNameProblem } from './topic-rules.js';

/** The subprotocol whose deliveries are JSON envelopes with ids. */
export const HUB_PROTOCOL = 'framewire.v1';

/** `GET /topics/NAME/history`: default and largest `limit`. */
export const HISTORY_DEFAULT_LIMIT = 100;
export const HISTORY_MAX_LIMIT = 1000;

/** How often the hub looks whether its Redis or NATS came back (for the log line only). */
const HEALTH_WATCH_MS = 1000;

/** A subscriber's outgoing bytes past which a publish closes it with 1008. */
const SUBSCRIBER_QUEUE_BYTES = 4 * 1024 * 1024;

/** A running hub. */
export interface RunningHub {
  readonly port: number;
  /** Where ids and history live: `memory, one process`, `redis redis://…`, `nats nats://…`. */
  readonly backend: string;
  /** Resolves once Redis or NATS is connected the first time (at once in memory). */
  readonly backendReady: Promise<void>;
  /** Stop accepting, 1001 to every client, wait up to `timeoutMs`, release the backend. */
  close(timeoutMs?: number): Promise<void>;
}

/** What an accepted upgrade carries to its connection. */
interface Grant {
  readonly topic: string;
  readonly since: string | undefined;
  readonly mode: DeliveryMode;
  readonly publish: boolean;
}

/** The outcome of checking a request's credentials. */
type Authorized = { readonly ok: true; readonly permissions: Permissions; readonly expiresAt: number } | { readonly ok: false; readonly reason: string };

const TOPIC_PATH = /^\/topics\/([^/]*)$/;
const HISTORY_PATH = /^\/topics\/([^/]*)\/history$/;

/**
 * Start a hub; resolves once it listens.
 * @param sharedBackend a broker and log to use instead of the ones the flags
 *   pick (several hubs in one process, tests); the caller closes it.
 */
export async function startHub(config: HubConfig, log: Log, sharedBackend?: HubBackend): Promise<RunningHub> {
  // Redis and NATS clients report every failed reconnection attempt: say it once per change, not every 250 ms.
  let lastBackendError: string | undefined;
  const backendError = (error: Error): void => {
    if (error.message === lastBackendError) return;
    lastBackendError = error.message;
    log.error(`hub: backend: ${error.message}`);
  };
  const backend: HubBackend =
    sharedBackend ??
    (await openHubBackend({
      redis: config.redis,
      nats: config.nats,
      history: config.history,
      maxTopics: config.maxTopics,
      onError: backendError,
    }));
  const backendHealth = (): BackendHealth => backend.health?.() ?? { ok: true };
  const verifier = config.secret === undefined ? undefined : new TokenVerifier(config.secret);
  const tickets = new TicketStore();
  const counters = new HubCounters();
  const grants = new WeakMap<UpgradeRequest, Grant>();
  let connections = 0;
  const reportError = (error: Error): void => log.error(`hub: ${error.message}`);

  /** Count a credentials (401) or rights (403) refusal and pass its answer on. */
  const counted = <T>(status: 401 | 403, result: T): T => {
    counters.refused(status);
    return result;
  };

  /** Credentials of a request: a ticket (upgrades only), else a JWT; everything without `--secret`. */
  const authorize = async (authorization: string | undefined, query: (name: string) => string | undefined, ticketAllowed: boolean): Promise<Authorized> => {
    if (verifier === undefined) return { ok: true, permissions: Permissions.ALL, expiresAt: Number.POSITIVE_INFINITY };
    const ticket = ticketAllowed ? query('ticket') : undefined;
    if (ticket !== undefined) {
      const permissions = tickets.redeem(ticket);
      if (permissions !== undefined) counters.ticketsUsed++;
      return permissions === undefined ? { ok: false, reason: 'ticket unknown, already used or expired' } : { ok: true, permissions, expiresAt: 0 };
    }
    const token = tokenOf(authorization, query('token'));
    if (token === undefined) return { ok: false, reason: 'a token is required (Authorization: Bearer, ?token= or ?ticket=)' };
    return verifier.verify(token);
  };

  const http = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      reportError(error instanceof Error ? error : new Error(String(error)));
      if (!response.headersSent) answer(response, 500, 'internal error');
      else response.destroy();
    });
  });
  // A slow or broken HTTP client must not keep sockets forever, nor may plain HTTP clients pile up.
  http.maxConnections = config.maxConnections + 1024;
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  const server = new WebSocketServer({
    server: http,
    perMessageDeflate: config.deflate,
    heartbeat: { interval: 30_000, timeout: 60_000 },
    maxPayload: config.maxMessage,
    maxConnections: config.maxConnections,
    topicBackpressure: { limit: SUBSCRIBER_QUEUE_BYTES, policy: 'close' },
    accept: (request) => decideUpgrade(request),
  });
  server.on('error', (error) => reportError(error));

  const topics = new HubTopics({
    server,
    broker: backend.broker,
    log: backend.log,
    echo: config.echo,
    maxTopics: config.maxTopics,
    historyLimit: config.history,
    onError: reportError,
  });

  async function decideUpgrade(request: UpgradeRequest): Promise<AcceptDecision> {
    const match = TOPIC_PATH.exec(request.path);
    if (match === null) return refuse(404, 'not found: subscribe at /topics/NAME');
    const topic = match[1]!;
    const nameProblem = topicNameProblem(topic);
    if (nameProblem !== undefined) return refuse(400, nameProblem);
    const since = getQueryParam(request, 'since');
    if (since !== undefined && !backend.log.isId(since)) return refuse(400, 'since is not an id of this hub');
    const auth = await authorize(request.headers.get('authorization') ?? undefined, (name) => getQueryParam(request, name), true);
    if (!auth.ok) return counted(401, refuse(401, auth.reason, { 'WWW-Authenticate': 'Bearer' }));
    const rights = auth.permissions.rightsFor(topic);
    if (!rights.subscribe) return counted(403, refuse(403, `no subscribe right on ${topic}`));
    if (since !== undefined) counters.historyReads.since++;
    if (since !== undefined && config.history > 0) {
      const health = backendHealth();
      // Without the log the history cannot be read: the client retries (the reconnecting client does so by itself).
      if (!health.ok) return refuse(503, `history unavailable: ${health.reason}`, { 'Retry-After': '1' });
      let newest: { readonly id: string } | undefined;
      try {
        [newest] = await backend.log.read(topic, undefined, 1);
      } catch (error) {
        // The outage began after the check above.
        return refuse(503, `history unavailable: ${error instanceof Error ? error.message : String(error)}`, { 'Retry-After': '1' });
      }
      if (newest !== undefined && backend.log.compare(since, newest.id) > 0) return refuse(400, 'since is after the newest message of this topic');
    }
    if (!topics.canSubscribe(topic)) return refuse(503, 'too many topics on this hub');
    const mode: DeliveryMode = request.protocols.includes(HUB_PROTOCOL) ? 'v1' : 'plain';
    grants.set(request, { topic, since, mode, publish: rights.publish });
    return accept(mode === 'v1' ? { protocol: HUB_PROTOCOL } : {});
  }

  server.on('connection', (session: Session, request: UpgradeRequest) => {
    const grant = grants.get(request);
    if (grant === undefined) return session.closeWithLibraryCode(1011, 'no grant');
    const id = ++connections;
    log.info(`[${id}] subscribe ${grant.topic} (${grant.mode}${grant.since === undefined ? '' : `, since ${grant.since}`})`);
    void session.closed.then(({ code }) => log.info(`[${id}] closed ${code}`));
    topics.subscribe(session, grant.topic, grant.mode, grant.since);
    session.on('message', (data, isBinary) => {
      if (!grant.publish) {
        counters.refused(1008);
        session.closeWithLibraryCode(1008, `no publish right on ${grant.topic}`);
        return undefined;
      }
      // Returning the promise holds reading until the log took the message: a fast publisher cannot queue without bound.
      counters.publishes.ws++;
      return topics.publish(grant.topic, payloadBytes(data as string | Uint8Array), isBinary, session).then(
        () => undefined,
        (error: unknown) => {
          counters.publishFailures++;
          // An outage is reported once by the backend, not per refused message.
          if (backendHealth().ok) reportError(error instanceof Error ? error : new Error(String(error)));
          if (session.readyState === 1) session.closeWithLibraryCode(1011, 'publish failed: log unavailable');
        },
      );
    });
  });

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    const question = target.indexOf('?');
    const path = question === -1 ? target : target.slice(0, question);
    const query = new URLSearchParams(question === -1 ? '' : target.slice(question + 1));
    const get = (name: string): string | undefined => query.get(name) ?? undefined;
    const method = request.method ?? 'GET';
    const authorization = request.headers.authorization;
    // Browsers on other origins may call the hub: credentials are explicit tokens, never cookies, so any origin may ask.
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (method === 'OPTIONS' && (path === '/healthz' || path === '/tickets' || path.startsWith('/topics/'))) {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      response.end();
      return;
    }

    if (config.metrics && path === METRICS_PATH) {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(response, 'GET, HEAD');
      const body = formatPrometheus(server.metrics()) + formatHubPrometheus(counters, { deliveries: topics.deliveries, topics: topics.topicCount, backend: backendHealth() });
      response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      response.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(response, 'GET, HEAD');
      const health = backendHealth();
      return health.ok ? answer(response, 200, 'ok') : answer(response, 503, `unavailable: ${health.reason}`, { 'Retry-After': '1' });
    }
    if (path === '/tickets') {
      if (method !== 'POST') return notAllowed(response, 'POST');
      const auth = await authorize(authorization, get, false);
      if (!auth.ok) return counted(401, answer(response, 401, auth.reason, { 'WWW-Authenticate': 'Bearer' }));
      const ticket = tickets.issue(auth.permissions, auth.expiresAt);
      if (ticket === undefined) return answer(response, 429, 'too many tickets outstanding; try again shortly', { 'Retry-After': '5' });
      counters.ticketsIssued++;
      return json(response, 201, { ticket, expiresIn: TICKET_TTL_MS / 1000 });
    }
    const historyMatch = HISTORY_PATH.exec(path);
    const topicMatch = historyMatch ?? TOPIC_PATH.exec(path);
    if (topicMatch === null) return answer(response, 404, 'not found');
    const topic = topicMatch[1]!;
    const nameProblem = topicNameProblem(topic);
    if (nameProblem !== undefined) return answer(response, 400, nameProblem);

    if (historyMatch !== null) {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(response, 'GET, HEAD');
      const limitText = get('limit');
      const limit = limitText === undefined ? HISTORY_DEFAULT_LIMIT : Number(limitText);
      if (limitText !== undefined && (!/^\d+$/.test(limitText) || limit < 1 || limit > HISTORY_MAX_LIMIT)) {
        return answer(response, 400, `limit is a whole number from 1 to ${HISTORY_MAX_LIMIT}`);
      }
      const since = get('since');
      if (since !== undefined && !backend.log.isId(since)) return answer(response, 400, 'since is not an id of this hub');
      const auth = await authorize(authorization, get, false);
      if (!auth.ok) return counted(401, answer(response, 401, auth.reason, { 'WWW-Authenticate': 'Bearer' }));
      if (!auth.permissions.rightsFor(topic).subscribe) return counted(403, answer(response, 403, `no subscribe right on ${topic}`));
      counters.historyReads.http++;
      const health = backendHealth();
      if (!health.ok) return json(response, 503, { error: 'history unavailable', reason: health.reason });
      const messages = await topics.history(topic, since, limit);
      return json(response, 200, messages.map((message) => toEnvelope(topic, message.id, message.data, message.binary)));
    }

    if (method === 'GET' || method === 'HEAD') return answer(response, 426, 'this is a WebSocket endpoint; POST publishes', { Upgrade: 'websocket' });
    if (method !== 'POST') return notAllowed(response, 'GET, POST');
    const auth = await authorize(authorization, get, false);
    if (!auth.ok) return counted(401, answer(response, 401, auth.reason, { 'WWW-Authenticate': 'Bearer' }));
    if (!auth.permissions.rightsFor(topic).publish) return counted(403, answer(response, 403, `no publish right on ${topic}`));
    const body = await readBody(request, config.maxMessage);
    if (body === undefined) return tooLarge(request, response, config.maxMessage);
    const binary = !isTextType(request.headers['content-type']);
    if (!binary && !validUtf8(body)) return answer(response, 400, 'a text body must be valid UTF-8');
    let id: string;
    counters.publishes.http++;
    try {
      id = await topics.publish(topic, body, binary);
    } catch (error) {
      counters.publishFailures++;
      const message = error instanceof Error ? error.message : String(error);
      const health = backendHealth();
      // An outage is expected and already reported (once) by the backend: no log line per refused publish.
      if (health.ok) reportError(error instanceof Error ? error : new Error(message));
      response.setHeader('Retry-After', '1');
      return json(response, 503, { error: 'publish failed: the message log is unavailable, nothing was published', reason: health.ok ? message : health.reason });
    }
    return json(response, 202, { id });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('clientError', (_error, socket) => socket.destroy());
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const backendReady = backend.ready?.() ?? Promise.resolve();
  backendReady.catch(() => {});
  // Say when Redis or NATS comes back (its clients reconnect by themselves; this only watches).
  let wasHealthy = backendHealth().ok;
  const watch = setInterval(() => {
    const healthy = backendHealth().ok;
    if (healthy === wasHealthy) return;
    wasHealthy = healthy;
    if (healthy) {
      lastBackendError = undefined;
      log.error(`hub: backend back: ${backend.description}`);
    }
  }, HEALTH_WATCH_MS);
  watch.unref();
  return {
    port,
    backend: backend.description,
    backendReady,
    close: async (timeoutMs = 2000) => {
      clearInterval(watch);
      http.close();
      topics.close();
      await server.close({ timeout: timeoutMs });
      http.closeAllConnections();
      if (sharedBackend === undefined) await backend.close();
    },
  };
}

function refuse(status: number, reason: string, headers: Record<string, string> = {}): AcceptDecision {
  return reject(status, { headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: `${reason}\n` });
}

function answer(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(`${text}\n`);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(value));
}

function notAllowed(response: ServerResponse, allow: string): void {
  answer(response, 405, `method not allowed (allowed: ${allow})`, { Allow: allow });
}

/** The body, or `undefined` as soon as it passes `max` bytes (checked on Content-Length first). */
async function readBody(request: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * 413, then read and drop what the client still sends (up to 16 MiB and
 * 10 s): closing with unread bytes would reset the connection, and the
 * client could lose the answer.
 */
function tooLarge(request: IncomingMessage, response: ServerResponse, max: number): void {
  response.shouldKeepAlive = false;
  answer(response, 413, `body larger than ${max} bytes`, { Connection: 'close' });
  let drained = 0;
  const stop = setTimeout(() => request.destroy(), 10_000);
  stop.unref();
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > 16 * 1024 * 1024) request.destroy();
  });
  request.on('close', () => clearTimeout(stop));
  request.resume();
}

/** `text/*` and `application/json` bodies are published as text; the rest as binary. */
function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json';
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
