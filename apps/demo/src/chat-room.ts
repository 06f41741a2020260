/**
 * The chat at /chat: every message goes to every member, the member count is
 * the room's own set (a member leaves the set before the new count goes
 * out), long messages are cut with a notice.
 *
 * Wire format, JSON text both ways:
 *   page → server  `{ "name": string, "text": string }`
 *   server → page  `{ "type": "chat", name, text, cut? }`, `{ "type": "presence", online }`,
 *                  `{ "type": "stats", ... }` (see demo.ts)
 *
 * @module
 */
import type { Session, SessionMessage } from '@framewire/codec/adapter';
import { payloadBytes, utf8Length } from './payload.js';

/** Longest chat text passed on; longer ones are cut to this many characters and marked. */
export const CHAT_TEXT_LIMIT = 2000;
/** Longest name passed on. */
export const NAME_LIMIT = 32;
/** Close code for a binary message on the chat (mirrors 1003, unsupported data). */
export const CLOSE_BINARY = 4003;
/** Close code for text that is not a chat message (mirrors 1008, policy violation). */
export const CLOSE_NOT_CHAT = 4008;
/** A member with this much unsent output is skipped for broadcasts until it catches up. */
const SLOW_MEMBER_BYTES = 1024 * 1024;

/** A chat message as the server broadcasts it. */
export interface ChatLine {
  readonly type: 'chat';
  readonly name: string;
  readonly text: string;
  /** Present when the text was cut: how many characters the sender wrote. */
  readonly cut?: { readonly length: number };
}

/** What a member sent, checked: a line to broadcast, or why the member is closed. */
export type ChatInput = { readonly ok: true; readonly line: ChatLine } | { readonly ok: false; readonly reason: string };

/** Check one message from a member (pure, so it can be property-tested). */
export function readChatInput(data: SessionMessage, isBinary: boolean): ChatInput {
  if (isBinary || typeof data !== 'string') return { ok: false, reason: 'chat messages are JSON text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { ok: false, reason: 'chat messages are JSON {"name","text"}' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'chat messages are JSON {"name","text"}' };
  const { name, text } = parsed as { name?: unknown; text?: unknown };
  if (typeof text !== 'string' || (name !== undefined && typeof name !== 'string')) {
    return { ok: false, reason: 'chat messages are JSON {"name","text"}' };
  }
  const shownName = cutCodePoints(name?.trim() || 'guest', NAME_LIMIT).text;
  const shown = cutCodePoints(text, CHAT_TEXT_LIMIT);
  if (shown.text === text) return { ok: true, line: { type: 'chat', name: shownName, text } };
  return { ok: true, line: { type: 'chat', name: shownName, text: shown.text, cut: { length: shown.length } } };
}

/**
 * The first `limit` code points of `value` (a cut never splits a surrogate
 * pair) and how many code points it has. Walks the string once without
 * building an array: a 16 MiB message must not cost an array of millions.
 */
export function cutCodePoints(value: string, limit: number): { text: string; length: number } {
  let length = 0;
  let end = value.length;
  for (let i = 0; i < value.length; i++) {
    if (length === limit) end = i;
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    length++;
  }
  return { text: length > limit ? value.slice(0, end) : value, length };
}

/** The members of the chat and what they say. */
export class ChatRoom {
  readonly #members = new Set<Session>();
  readonly #onMessage: (payloadBytes: number) => void;

  /** `onMessage` counts each message in and each copy out (for the traffic counters). */
  constructor(onMessage: (payloadBytes: number) => void) {
    this.#onMessage = onMessage;
  }

  /** Members right now. */
  get online(): number {
    return this.#members.size;
  }

  /** Take a new connection in; it leaves the room when it closes. */
  join(session: Session): void {
    this.#members.add(session);
    session.on('message', (data, isBinary) => {
      this.#onMessage(payloadBytes(data));
      const input = readChatInput(data, isBinary);
      if (!input.ok) {
        // An application may only send 1000 or 3000-4999 (RFC 6455 §7.4.2), so
        // the codes mirror 1003 (data it cannot take) and 1008 (policy) in 4xxx.
        session.close(isBinary ? CLOSE_BINARY : CLOSE_NOT_CHAT, input.reason);
        return;
      }
      this.broadcast(JSON.stringify(input.line), true);
    });
    session.on('close', () => {
      this.#members.delete(session);
      this.presence();
    });
    this.presence();
  }

  /** Send the member count to everyone. */
  presence(): void {
    this.broadcast(JSON.stringify({ type: 'presence', online: this.#members.size }), false);
  }

  /** Send `text` to every open member; `counted` messages go into the traffic counters. */
  broadcast(text: string, counted: boolean): void {
    for (const member of this.#members) {
      if (member.readyState !== 1 || member.bufferedAmount > SLOW_MEMBER_BYTES) continue;
      member.send(text);
      if (counted) this.#onMessage(utf8Length(text));
    }
  }
}
