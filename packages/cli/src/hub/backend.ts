/**
 * The one place that picks the hub's backend: where ids and history live
 * (a {@link TopicLog}) and how hubs in other processes hear of a publish (a
 * codec {@link Broker}). Only the in-memory pair is in this build; Redis and
 * NATS arrive with their `@framewire/pubsub` classes.
 *
 * @module
 */
import { MemoryBroker, type Broker } from '@framewire/codec/adapter';
import { MemoryLog, type TopicLog } from '@framewire/pubsub';
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
}

/** A hub's broker and log, closed together. */
export interface HubBackend {
  readonly broker: Broker;
  readonly log: TopicLog;
  /** A short name for the start line (`memory`, `redis …`). */
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Open the backend the flags ask for.
 * @throws {CliError} exit 2 for `--redis`/`--nats` (not in this build) or both at once.
 */
export async function openHubBackend(options: HubBackendOptions): Promise<HubBackend> {
  if (options.redis !== undefined && options.nats !== undefined) throw new CliError('hub: --redis and --nats exclude each other');
  if (options.redis !== undefined) {
    throw new CliError('hub: --redis is not in this build of framewire (the Redis broker and stream log are still being written); run without it for the in-memory hub');
  }
  if (options.nats !== undefined) {
    throw new CliError('hub: --nats is not in this build of framewire (the NATS broker and JetStream log are still being written); run without it for the in-memory hub');
  }
  const log = new MemoryLog({ maxLength: options.history, ...(options.maxTopics !== undefined ? { maxTopics: options.maxTopics } : {}) });
  return { broker: new MemoryBroker(), log, description: 'in memory, one process', close: () => log.close() };
}
