/**
 * The one place that picks the hub's backend: where ids and history live
 * (a {@link TopicLog}) and how hubs in other processes hear of a publish (a
 * codec {@link Broker}). In memory by default; `--redis URL` is a
 * `RedisBroker` + `RedisStreamLog`, `--nats URL` a `NatsBroker` +
 * `JetStreamLog`.
 *
 * A Redis or NATS that is down does not stop the hub from starting: the
 * clients reconnect by themselves, publishes fail with a
 * `BrokerUnavailableError` (the hub answers 503) and {@link HubBackend.health}
 * says why until the server is back.
 *
 * @module
 */
import { MemoryBroker, type Broker } from '@framewire/codec/adapter';
import { JetStreamLog, MemoryLog, NatsBroker, RedisBroker, RedisStreamLog, type TopicLog } from '@framewire/pubsub';
import { CliError } from '../cli-error.js';

/** What {@link openHubBackend} needs. */
export interface HubBackendOptions {
  /** `--redis URL`. */
  readonly redis?: string | undefined;
  /** `--nats URL`. */
  readonly nats?: string | undefined;
  /** Messages kept per topic (0: none, ids are still given). */
  readonly history: number;
  /** Topics whose history is kept at most. */
  readonly maxTopics?: number | undefined;
  /** Connection errors of Redis or NATS (they repeat while it is away; the hub reports only changes). */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** Whether the backend can take publishes right now. */
export type BackendHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A hub's broker and log, closed together. */
export interface HubBackend {
  readonly broker: Broker;
  readonly log: TopicLog;
  /** A short name for the start line (`memory`, `redis …`). */
  readonly description: string;
  /** Now: are the broker and the log connected? Absent: always ok (in memory). */
  health?(): BackendHealth;
  /** Resolves once the broker and the log are connected the first time. Absent: at once. */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

/** Anything with the `connected` getter of the `@framewire/pubsub` classes. */
interface Connectable {
  readonly connected: boolean;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The subject prefix of the hub's NATS broker messages (the JetStream log keeps `framewire.>`). */
export const NATS_BROKER_PREFIX = 'framewire-live';

/** Redis and NATS keep at least one message per topic; `--history 0` still gives ids. */
const minimumLength = (history: number): number => Math.max(1, history);

/**
 * Open the backend the flags ask for. Never waits for Redis or NATS.
 * @throws {CliError} exit 2 for `--redis` and `--nats` together, or a URL that is not one.
 */
export async function openHubBackend(options: HubBackendOptions): Promise<HubBackend> {
  if (options.redis !== undefined && options.nats !== undefined) throw new CliError('hub: --redis and --nats exclude each other');
  const onError = options.onError;
  if (options.redis !== undefined) {
    const url = checkedUrl('redis', options.redis, ['redis:', 'rediss:']);
    const common = { url, ...(onError !== undefined ? { onError } : {}) };
    const broker = new RedisBroker(common);
    const log = new RedisStreamLog({ ...common, maxLength: minimumLength(options.history) });
    return remote(`redis ${redacted(url)}`, 'Redis', broker, log);
  }
  if (options.nats !== undefined) {
    const servers = checkedUrl('nats', options.nats, ['nats:', 'tls:']);
    const common = { servers, ...(onError !== undefined ? { onError } : {}) };
    // Not the log's `framewire`: its stream captures `framewire.>`, and would store every broker message too.
    const broker = new NatsBroker({ ...common, prefix: NATS_BROKER_PREFIX });
    const log = new JetStreamLog({ ...common, maxLength: minimumLength(options.history) });
    return remote(`nats ${redacted(servers)}`, 'NATS', broker, log);
  }
  const log = new MemoryLog({ maxLength: options.history, ...(options.maxTopics !== undefined ? { maxTopics: options.maxTopics } : {}) });
  return {
    broker: new MemoryBroker(),
    log,
    description: 'memory, one process',
    health: () => ({ ok: true }),
    ready: () => Promise.resolve(),
    close: () => log.close(),
  };
}

function remote(description: string, name: string, broker: Broker & Connectable, log: TopicLog & Connectable): HubBackend {
  // ready() rejects only when closed first: nobody else must see that as unhandled.
  const ready = Promise.all([broker.ready(), log.ready()]).then(() => undefined);
  ready.catch(() => {});
  return {
    broker,
    log,
    description,
    health: () => {
      const down = [broker.connected ? undefined : 'broker', log.connected ? undefined : 'log'].filter((part) => part !== undefined);
      return down.length === 0 ? { ok: true } : { ok: false, reason: `${name} unavailable: ${down.join(' and ')} not connected` };
    },
    ready: () => ready,
    close: async () => {
      await Promise.allSettled([broker.close(), log.close()]);
    },
  };
}

/** The URL as given, after checking it parses and has one of `schemes` (`redis:`…); `flag` names it in the error. @throws {CliError} otherwise. */
export function checkedUrl(flag: string, value: string, schemes: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`hub: --${flag} ${JSON.stringify(value)} is not a URL (${schemes[0]}//host:port)`);
  }
  if (!schemes.includes(url.protocol)) throw new CliError(`hub: --${flag} wants a ${schemes.join(' or ')} URL, got ${url.protocol}`);
  return value;
}

/** The URL without its password (`***` instead), for logs and the start line. */
export function redacted(value: string): string {
  const url = new URL(value);
  if (url.password !== '') url.password = '***';
  return url.toString().replace(/\/$/, '');
}
