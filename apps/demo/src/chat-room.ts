/**
 * The chat at /chat: every message goes to every member, the member count is
 * the room's own set (a member leaves the set before the new count goes
 * out), long messages are cut with a notice. Given a `publish` (the server's
 * `server.publish`), members subscribe to the {@link CHAT_TOPIC} topic and a
 * line reaches the members of every process on the same broker; each line
 * says which process served its sender.
 *
 * Wire format, JSON text both ways:
 *   server → page  `{ "type": "hello", servedBy }` (first, when `servedBy` is set),
 *                  `{ "type": "chat", name, text, cut?, servedBy? }`, `{ "type": "presence", online }`,
 *                  `{ "type": "stats", ... }` (see demo.ts)
 *   page → server  `{ "name": string, "text": string }`
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
  /** The process that served the sender (cluster mode). */
  readonly servedBy?: ServedBy;
}

/** Which process serves a connection: its pid and its index in the cluster (0 when alone). */
export interface ServedBy {
  readonly pid: number;
  readonly worker: number;
}

/** The topic chat lines travel on. */
export const CHAT_TOPIC = 'chat';

/** Options of {@link ChatRoom}. */
export interface ChatRoomOptions {
  /**
   * Publish a line to the {@link CHAT_TOPIC} topic (every process's members);
   * returns how many local members got it. Without it, lines go to this
   * room's members only.
   */
  readonly publish?: (text: string) => number;
  /** Stamped on each line and sent to each new member as `{ type: 'hello' }`. */
  readonly servedBy?: ServedBy;
  /** Members online in total (every process); default this room's count. */
  readonly total?: () => number;
  /** Called after this room's count changed (to tell the other processes). */
  readonly onCountChange?: () => void;
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
  readonly #options: ChatRoomOptions;

  /** `onMessage` counts each message in and each copy out (for the traffic counters). */
  constructor(onMessage: (payloadBytes: number) => void, options: ChatRoomOptions = {}) {
    this.#onMessage = onMessage;
    this.#options = options;
  }

  /** Members right now. */
  get online(): number {
    return this.#members.size;
  }

  /** Take a new connection in; it leaves the room when it closes. */
  join(session: Session): void {
    this.#members.add(session);
    const { publish, servedBy } = this.#options;
    if (publish !== undefined) session.subscribe(CHAT_TOPIC);
    if (servedBy !== undefined) session.send(JSON.stringify({ type: 'hello', servedBy }));
    session.on('message', (data, isBinary) => {
      this.#onMessage(payloadBytes(data));
      const input = readChatInput(data, isBinary);
      if (!input.ok) {
        // An application may only send 1000 or 3000-4999 (RFC 6455 §7.4.2), so
        // the codes mirror 1003 (data it cannot take) and 1008 (policy) in 4xxx.
        session.close(isBinary ? CLOSE_BINARY : CLOSE_NOT_CHAT, input.reason);
        return;
      }
      const line = JSON.stringify(servedBy === undefined ? input.line : { ...input.line, servedBy });
      if (publish === undefined) this.broadcast(line, true);
      else this.#onMessage(utf8Length(line) * publish(line));
    });
    session.on('close', () => {
      this.#members.delete(session);
      this.#options.onCountChange?.();
      this.presence();
    });
    this.#options.onCountChange?.();
    this.presence();
  }

  /** Send the member count (every process's) to this room's members. */
  presence(): void {
    const online = this.#options.total?.() ?? this.#members.size;
    this.broadcast(JSON.stringify({ type: 'presence', online }), false);
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
