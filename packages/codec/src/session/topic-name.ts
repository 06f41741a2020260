/**
 * The rule for topic names, shared by `Session.subscribe` and
 * `TopicRegistry.publish`.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';

/** Longest topic name, in UTF-16 code units: names are map keys held per subscription. */
export const MAX_TOPIC_LENGTH = 1024;

/** @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` unless `topic` is a string of 1 to {@link MAX_TOPIC_LENGTH} units. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `a topic is a string of 1 to ${MAX_TOPIC_LENGTH} characters`);
  }
}
