/**
 * Per-connection mode: one WebSocket session wired to one program.
 *
 * - client → program: each text message becomes one line on stdin (a `\n`
 *   is added); `--binary` writes the bytes as they are. While stdin is full
 *   the message listener returns a promise, so the session stops reading
 *   the socket (receive backpressure) instead of buffering.
 * - program → client: each stdout line becomes one text message (see
 *   {@link LineSplitter}); `--binary` sends each chunk as it comes. While
 *   the session's `send()` reports the high-water mark, stdout is paused, so
 *   a program that floods a slow client blocks on its own write.
 * - the client closes → the program gets EOF, then SIGTERM, then SIGKILL.
 * - the program exits → its last output is sent, then close 1000 (exit 0)
 *   or 1011 (non-zero exit or killed by a signal).
 *
 * @module
 */
import type { Session } from '@framewire/codec/adapter';
import type { Log } from '../log.js';
import { LineSplitter } from './line-splitter.js';
import { textPayload, textPayloads } from './text-line.js';
import type { ProgramChild, ProgramExit, ProgramProcess, StopTimings } from './program-process.js';

/** How a session and its program talk. */
export interface BridgeOptions {
  /** Raw chunks both ways instead of lines. */
  readonly binary: boolean;
  /** Longest stdout line sent as one message. */
  readonly maxLineBytes: number;
  readonly stopTimings: StopTimings;
  readonly connectionId: string;
  readonly log: Log;
}

const OPEN = 1;

/** A binary message as bytes of our own (the session may reuse what it handed out). */
function copyOf(data: unknown): Uint8Array {
  return new Uint8Array(data as Uint8Array | ArrayBuffer);
}

/** A text message and its newline, as one string or one copy of the bytes. */
function lineOf(data: unknown): string | Uint8Array {
  if (typeof data === 'string') return `${data}\n`;
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
  const line = new Uint8Array(view.byteLength + 1);
  line.set(view);
  line[view.byteLength] = 0x0a;
  return line;
}

/** The close code and reason for a program's exit. */
export function exitCloseCode(exit: ProgramExit): { code: number; reason: string } {
  if (exit.code === 0) return { code: 1000, reason: '' };
  return { code: 1011, reason: exit.signal !== null ? `program killed by ${exit.signal}` : `program exited with ${exit.code}` };
}

/** Wire `session` to `program` (see the module comment). Resolves when both are done. */
export async function bridgeConnection(session: Session, program: ProgramProcess, options: BridgeOptions): Promise<void> {
  const child = program.child;

  session.on('message', (data) => {
    if (program.done || child.inputEnded) return undefined;
    // One write per message, its newline included: the program reads a line at once (one wakeup, one read).
    const room = child.write(options.binary ? copyOf(data) : lineOf(data));
    // Holding the message keeps the session from reading more (receive backpressure).
    return room ? undefined : child.drained();
  });

  // Every message of one stdout chunk is sent in the same tick, so the session writes them to the
  // socket together (one transport write); stdout pauses once per chunk that reached the high-water mark.
  const sendAll = (payloads: readonly (Uint8Array | string)[], binary: boolean): void => {
    let room = true;
    for (const payload of payloads) {
      if (session.readyState !== OPEN) return;
      if (!session.send(payload, { binary })) room = false;
    }
    if (room || session.readyState !== OPEN) return;
    child.pauseOutput();
    void session.drained().then(() => child.resumeOutput());
  };
  const splitter = new LineSplitter(options.maxLineBytes);
  child.readOutput(
    (chunk) => {
      if (options.binary) sendAll([new Uint8Array(chunk)], true);
      else sendAll(textPayloads(chunk, splitter.push(chunk)), false);
    },
    () => {
      const last = options.binary ? undefined : splitter.flush();
      if (last !== undefined) sendAll([textPayload(last)], false);
    },
  );

  pipeStderr(child, options.connectionId, options.log);

  session.on('close', () => program.stop(options.stopTimings));
  // A session already closed before the listener (a very early close).
  if (session.readyState > OPEN) program.stop(options.stopTimings);

  const exit = await program.exited;
  if (session.readyState === OPEN) {
    const { code, reason } = exitCloseCode(exit);
    session.closeWithLibraryCode(code, reason);
  }
  if (exit.code !== 0) options.log.info(`[${options.connectionId}] program ended: ${exit.signal ?? `exit ${exit.code}`}`);
  await session.closed;
}

/** A program's stderr as log lines tagged with the connection id (long lines cut at 64 KiB). */
export function pipeStderr(child: ProgramChild, connectionId: string, log: Log): void {
  const splitter = new LineSplitter(64 * 1024);
  const decoder = new TextDecoder();
  child.readErrors(
    (chunk) => {
      for (const line of splitter.push(chunk)) log.programStderr(connectionId, decoder.decode(line));
    },
    () => {
      const last = splitter.flush();
      if (last !== undefined) log.programStderr(connectionId, decoder.decode(last));
    },
  );
}
