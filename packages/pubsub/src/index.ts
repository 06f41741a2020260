/**
 * Topic brokers and message logs for framewire servers and the hub.
 *
 * @module
 */
export { MemoryLog } from './topic-log.js';
export type { LoggedMessage, MemoryLogOptions, TopicLog } from './topic-log.js';
