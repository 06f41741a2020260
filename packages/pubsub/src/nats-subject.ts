/**
 * Topic names as NATS subject tokens. A topic may hold any character, but a
 * subject token may not hold `.`, `*`, `>` or whitespace, so every character
 * outside `[A-Za-z0-9_-]` is written as `~` and two hex digits per UTF-8
 * byte (`a.b` → `a~2eb`); the empty topic is `~`. The mapping is one-to-one.
 *
 * @module
 */

const SAFE = /[A-Za-z0-9_-]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The subject token for `topic`. */
export function topicToToken(topic: string): string {
  if (topic === '') return '~';
  let out = '';
  for (const char of topic) {
    if (SAFE.test(char)) out += char;
    else for (const byte of encoder.encode(char)) out += `~${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The topic a token stands for, or `undefined` if no topic maps to it. */
export function tokenToTopic(token: string): string | undefined {
  if (token === '~') return '';
  if (token === '') return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const char = token[i]!;
    if (char === '~') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (SAFE.test(char)) bytes.push(char.charCodeAt(0));
    else return undefined;
  }
  try {
    const topic = decoder.decode(new Uint8Array(bytes));
    // Only the canonical spelling is a token (no `~61` for `a`).
    return topicToToken(topic) === token ? topic : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a subject prefix: one or more tokens of `[A-Za-z0-9_-]` joined by dots. */
export function checkSubjectPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) throw new TypeError(`not a NATS subject prefix: ${JSON.stringify(prefix)}`);
  return prefix;
}
