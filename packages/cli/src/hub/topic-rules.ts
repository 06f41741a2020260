/**
 * The hub's topic names and the per-topic rights a token grants
 * (scaledrone-style `permissions` claim). Pure functions, property-tested.
 *
 * Topic name: 1 to {@link MAX_HUB_TOPIC_LENGTH} characters from
 * `A-Z a-z 0-9 _ - . : @ ~`, not starting with `.` (so `.` and `..` never
 * look like paths). It is one URL path segment that needs no
 * percent-encoding, and never holds `*` (reserved for patterns).
 *
 * Permission pattern: a topic name (exact), a topic-name prefix followed by
 * one trailing `*` (`chat.*` matches `chat.1` and `chat.`; not `chat`), or `*`
 * alone (every topic). For a topic the exact entry wins; otherwise the
 * longest matching `*` pattern; otherwise nothing is allowed.
 *
 * @module
 */

/** Longest hub topic name. */
export const MAX_HUB_TOPIC_LENGTH = 128;

/** Most entries in a `permissions` claim (a token is not a place for a database). */
export const MAX_PERMISSION_ENTRIES = 256;

const NAME_CHARS = /^[A-Za-z0-9_\-.:@~]+$/;

/** Why a topic name was refused, or `undefined` when it is valid. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a topic name is empty';
  if (name.length > MAX_HUB_TOPIC_LENGTH) return `a topic name has at most ${MAX_HUB_TOPIC_LENGTH} characters`;
  if (!NAME_CHARS.test(name)) return 'a topic name uses only A-Z a-z 0-9 _ - . : @ ~';
  if (name.startsWith('.')) return 'a topic name does not start with "."';
  return undefined;
}

/** What a token allows on the topics a pattern matches. */
export interface TopicRights {
  readonly publish: boolean;
  readonly subscribe: boolean;
}

/** One checked entry of a `permissions` claim. */
interface PermissionEntry {
  /** The name (exact) or the prefix before `*`. */
  readonly key: string;
  readonly wildcard: boolean;
  readonly rights: TopicRights;
}

/** A checked `permissions` claim: ask it with {@link Permissions.rightsFor}. */
export class Permissions {
  readonly #exact = new Map<string, TopicRights>();
  /** Wildcards, longest prefix first. */
  readonly #prefixes: PermissionEntry[];

  private constructor(entries: readonly PermissionEntry[]) {
    for (const entry of entries) if (!entry.wildcard) this.#exact.set(entry.key, entry.rights);
    this.#prefixes = entries.filter((entry) => entry.wildcard).sort((a, b) => b.key.length - a.key.length);
  }

  /** Every right on every topic (the hub without `--secret`). */
  static readonly ALL: Permissions = new Permissions([{ key: '', wildcard: true, rights: { publish: true, subscribe: true } }]);

  /**
   * Check a decoded `permissions` claim: an object of at most
   * {@link MAX_PERMISSION_ENTRIES} patterns, each mapped to
   * `{ publish?: boolean, subscribe?: boolean }` (absent means false).
   * @returns the permissions, or a string saying what is wrong.
   */
  static parse(claim: unknown): Permissions | string {
    if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) return 'the "permissions" claim is not an object';
    const keys = Object.keys(claim);
    if (keys.length > MAX_PERMISSION_ENTRIES) return `the "permissions" claim has more than ${MAX_PERMISSION_ENTRIES} entries`;
    const entries: PermissionEntry[] = [];
    for (const pattern of keys) {
      const value = (claim as Record<string, unknown>)[pattern];
      const problem = patternProblem(pattern);
      if (problem !== undefined) return `permission ${JSON.stringify(pattern)}: ${problem}`;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `permission ${JSON.stringify(pattern)}: not an object`;
      const { publish = false, subscribe = false } = value as { publish?: unknown; subscribe?: unknown };
      if (typeof publish !== 'boolean' || typeof subscribe !== 'boolean') {
        return `permission ${JSON.stringify(pattern)}: publish and subscribe must be true or false`;
      }
      const wildcard = pattern.endsWith('*');
      entries.push({ key: wildcard ? pattern.slice(0, -1) : pattern, wildcard, rights: { publish, subscribe } });
    }
    return new Permissions(entries);
  }

  /** The rights on `topic` (a valid topic name): exact entry, else longest `*` pattern, else none. */
  rightsFor(topic: string): TopicRights {
    const exact = this.#exact.get(topic);
    if (exact !== undefined) return exact;
    for (const entry of this.#prefixes) if (topic.startsWith(entry.key)) return entry.rights;
    return NONE;
  }
}

const NONE: TopicRights = Object.freeze({ publish: false, subscribe: false });

/** Why a permission pattern was refused, or `undefined` when it is valid. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (!pattern.endsWith('*')) return topicNameProblem(pattern);
  const prefix = pattern.slice(0, -1);
  if (prefix.includes('*')) return 'only one trailing "*" is allowed';
  if (prefix.length >= MAX_HUB_TOPIC_LENGTH) return `a pattern prefix has fewer than ${MAX_HUB_TOPIC_LENGTH} characters`;
  if (!NAME_CHARS.test(prefix)) return 'a pattern uses only A-Z a-z 0-9 _ - . : @ ~ and a trailing *';
  if (prefix.startsWith('.')) return 'a pattern does not start with "."';
  return undefined;
}
