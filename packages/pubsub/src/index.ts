/**
 * Topic brokers and message logs for framewire servers and the hub.
 *
 * @module
 */
export { MemoryLog } from './topic-log.js';
export type { LoggedMessage, MemoryLogOptions, TopicLog } from './topic-log.js';
export { BROKER_UNAVAILABLE, BrokerUnavailableError } from './errors.js';
export { decodeBrokerMessage, encodeBrokerMessage } from './broker-message.js';
export { tokenToTopic, topicToToken } from './nats-subject.js';
export { RedisBroker } from './redis-broker.js';
export type { RedisBrokerOptions } from './redis-broker.js';
export type { RedisConnectionOptions } from './redis-options.js';
export { NatsBroker } from './nats-broker.js';
export type { NatsBrokerOptions } from './nats-broker.js';
export type { NatsConnectionOptions } from './nats-options.js';
export { RedisStreamLog } from './redis-stream-log.js';
export type { RedisStreamLogOptions } from './redis-stream-log.js';
export { JetStreamLog } from './jetstream-log.js';
export type { JetStreamLogOptions } from './jetstream-log.js';
