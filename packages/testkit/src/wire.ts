// One WebSocket connection from the kit's side after the opening handshake:
// it writes exactly the bytes a case asks for and turns what the peer sends
// into events, checking on the way that the peer itself speaks the protocol.
import type { Socket } from 'node:net';
import type { DeflateParams } from './deflate.js';
import { MessageDeflater, MessageInflater } from './deflate.js';
import type { FrameSpec, ParsedFrame } from './frames.js';
import { buildFrame, bytesOf, FrameParser, opcodeName, Opcode, splitBytes } from './frames.js';
import type { Trace } from './trace.js';
import { describeFrame, describeSpec, preview } from './trace.js';
import { isValidUtf8 } from './utf8.js';

/** Which side of the connection the kit plays. */
export type KitRole = 'client' | 'server';

/** What the peer did, in order. */
export type WireEvent =
  | { readonly type: 'message'; readonly opcode: 1 | 2; readonly data: Buffer; readonly compressed: boolean; readonly frames: number }
  | { readonly type: 'pong'; readonly data: Buffer }
  | { readonly type: 'close'; readonly code: number | null; readonly reason: string }
  /** The peer broke the protocol in what it sent (masking, framing, close payload, UTF-8). */
  | { readonly type: 'violation'; readonly reason: string }
  /** The TCP connection ended (FIN or reset). */
  | { readonly type: 'end'; readonly how: string }
  | { readonly type: 'timeout' };

/** How a write is cut into TCP writes. */
export interface WriteOptions {
  /** Sizes of the pieces, cycled (e.g. [1] writes byte by byte). */
  readonly chunks?: readonly number[];
  /** Pause between pieces, in ms. */
  readonly delayMs?: number;
}

/** Close codes a peer may put on the wire (RFC 6455 §7.4.1, §7.4.2; IANA registry for 1012-1014). */
export function isWireCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The kit's side of one connection. */
export class Wire {
  private readonly parser = new FrameParser();
  private readonly events: WireEvent[] = [];
  private waiter: (() => void) | null = null;
  private message: { opcode: 1 | 2; parts: Buffer[]; size: number; compressed: boolean; frames: number } | null = null;
  private stopped = false;
  private readonly deflater: MessageDeflater | null;
  private readonly inflater: MessageInflater | null;
  /** Set once the peer's close frame arrived. */
  closeReceived = false;
  /** Set once the kit sent a close frame. */
  closeSent = false;
  /** Set once TCP ended. */
  ended = false;

  /**
   * @param leftover bytes that followed the handshake head in the same read.
   * @param deflate negotiated permessage-deflate parameters, or null.
   */
  constructor(
    readonly socket: Socket,
    readonly role: KitRole,
    readonly trace: Trace,
    readonly deflate: DeflateParams | null,
    leftover: Buffer,
  ) {
    if (deflate) {
      const kitIsClient = role === 'client';
      const ownBits = kitIsClient ? deflate.clientMaxWindowBits : deflate.serverMaxWindowBits;
      const ownNoTakeover = kitIsClient ? deflate.clientNoContextTakeover : deflate.serverNoContextTakeover;
      const peerNoTakeover = kitIsClient ? deflate.serverNoContextTakeover : deflate.clientNoContextTakeover;
      this.deflater = new MessageDeflater(typeof ownBits === 'number' ? ownBits : 15, !ownNoTakeover);
      this.inflater = new MessageInflater(!peerNoTakeover);
    } else {
      this.deflater = null;
      this.inflater = null;
    }
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.onEnd('peer closed TCP (FIN)'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onEnd(`TCP error ${err.code ?? err.message}`));
    socket.on('close', () => this.onEnd('TCP closed'));
    if (leftover.length > 0) this.onData(leftover);
    // The handshake reader leaves the socket paused.
    socket.resume();
  }

  /** Build and write one frame; masked by default when the kit is the client. */
  async send(spec: FrameSpec, opts: WriteOptions = {}): Promise<void> {
    const masked = spec.mask === undefined ? this.role === 'client' : spec.mask !== false;
    const bytes = buildFrame(spec, this.role === 'client');
    if (spec.opcode === Opcode.close) this.closeSent = true;
    this.trace.add('>', describeSpec(spec, masked) + (opts.chunks ? ` [written in pieces of ${opts.chunks.join(',')}${opts.delayMs ? ` every ${opts.delayMs} ms` : ''}]` : ''));
    await this.writeQuiet(bytes, opts);
  }

  /** Write several frames in one TCP write (or in the given pieces). */
  async sendBatch(specs: readonly FrameSpec[], opts: WriteOptions = {}): Promise<void> {
    const masked = this.role === 'client';
    const parts = specs.map((spec) => {
      if (spec.opcode === Opcode.close) this.closeSent = true;
      return buildFrame(spec, masked);
    });
    if (specs.length <= 8) for (const spec of specs) this.trace.add('>', describeSpec(spec, spec.mask === undefined ? masked : spec.mask !== false) + ' [batched]');
    else this.trace.add('>', `${specs.length} frames in one batch, first: ${describeSpec(specs[0] ?? { opcode: 0 }, masked)}`);
    await this.writeQuiet(Buffer.concat(parts), opts);
  }

  /** Write raw bytes as they are. */
  async sendRaw(bytes: Uint8Array, label: string, opts: WriteOptions = {}): Promise<void> {
    this.trace.add('>', `${label} (${bytes.length} raw bytes ${preview(bytes, 24)})`);
    await this.writeQuiet(bytesOf(bytes), opts);
  }

  /** A message compressed with the negotiated deflate context (RFC 7692 §7.2.1), as payload bytes. */
  compress(data: Uint8Array | string): Buffer {
    if (!this.deflater) throw new Error('permessage-deflate was not negotiated');
    return this.deflater.compress(bytesOf(data));
  }

  /** Next event, waiting at most until `deadline` (a performance.now() value). */
  async next(deadline: number): Promise<WireEvent> {
    for (;;) {
      const event = this.events.shift();
      if (event) return event;
      if (this.ended && this.events.length === 0) return { type: 'end', how: 'connection already ended' };
      const left = deadline - performance.now();
      if (left <= 0) return { type: 'timeout' };
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.waiter = null;
    }
  }

  /** Whether an event is waiting or the connection has ended. */
  get hasEvent(): boolean {
    return this.events.length > 0;
  }

  /** Half-close (FIN) from the kit's side. */
  end(): void {
    this.trace.add('*', 'kit closes TCP (FIN)');
    this.socket.end();
  }

  /** Tear the connection down (used when a case is over). */
  destroy(): void {
    this.socket.destroy();
  }

  private async writeQuiet(bytes: Buffer, opts: WriteOptions): Promise<void> {
    const pieces = opts.chunks ? splitBytes(bytes, opts.chunks) : [bytes];
    for (let i = 0; i < pieces.length; i++) {
      if (this.socket.destroyed || !this.socket.writable) {
        this.trace.add('*', `write skipped: the socket is closed (${pieces.length - i} pieces left)`);
        return;
      }
      const piece = pieces[i] as Buffer;
      const flushed = this.socket.write(piece);
      if (opts.delayMs) await sleep(opts.delayMs);
      else if (!flushed) await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.once('drain', done);
        this.socket.once('close', done);
      });
    }
  }

  private push(event: WireEvent): void {
    this.events.push(event);
    this.waiter?.();
  }

  private onEnd(how: string): void {
    if (this.ended) return;
    this.ended = true;
    this.trace.add('*', how);
    this.push({ type: 'end', how });
  }

  private violation(reason: string): void {
    this.stopped = true;
    this.trace.add('*', `peer violation: ${reason}`);
    this.push({ type: 'violation', reason });
  }

  private onData(data: Buffer): void {
    if (this.stopped) return;
    const { frames, error } = this.parser.push(data);
    for (const frame of frames) {
      if (this.stopped) return;
      this.onFrame(frame);
    }
    if (error && !this.stopped) this.violation(error);
  }

  private onFrame(frame: ParsedFrame): void {
    this.trace.add('<', describeFrame(frame));
    if (this.closeReceived) return this.violation('frame after the close frame (RFC 6455 §5.5.1)');
    const mustMask = this.role === 'server';
    if (frame.masked !== mustMask) {
      return this.violation(mustMask ? 'unmasked frame from a client (RFC 6455 §5.1)' : 'masked frame from a server (RFC 6455 §5.1)');
    }
    if (frame.rsv2 || frame.rsv3) return this.violation('RSV2/RSV3 set without an extension (RFC 6455 §5.2)');
    const isControl = frame.opcode >= 0x8;
    if (frame.rsv1 && (!this.deflate || isControl || frame.opcode === 0)) {
      return this.violation('RSV1 set where no extension allows it (RFC 6455 §5.2, RFC 7692 §6)');
    }
    if (!frame.minimalLength) return this.violation('payload length not in its shortest form (RFC 6455 §5.2)');
    if (isControl) return this.onControl(frame);
    if (frame.opcode === 0x1 || frame.opcode === 0x2) {
      if (this.message) return this.violation('new data frame while a fragmented message is open (RFC 6455 §5.4)');
      this.message = { opcode: frame.opcode, parts: [], size: 0, compressed: frame.rsv1, frames: 0 };
    } else if (frame.opcode === 0x0) {
      if (!this.message) return this.violation('continuation frame without a message to continue (RFC 6455 §5.4)');
    } else return this.violation(`reserved opcode ${frame.opcode} (RFC 6455 §5.2)`);
    const msg = this.message;
    msg.parts.push(frame.payload);
    msg.size += frame.payload.length;
    msg.frames++;
    if (!frame.fin) return;
    this.message = null;
    let data: Buffer = Buffer.concat(msg.parts, msg.size);
    if (msg.compressed && this.inflater) {
      try {
        data = this.inflater.decompress(data, 256 * 1024 * 1024);
      } catch (err) {
        return this.violation(`compressed message does not inflate with the negotiated context: ${(err as Error).message} (RFC 7692 §7.2.2)`);
      }
    }
    if (msg.opcode === 0x1 && !isValidUtf8(data)) return this.violation('text message with invalid UTF-8 (RFC 6455 §8.1)');
    if (msg.frames > 1 || msg.compressed) this.trace.add('*', `message ${opcodeName(msg.opcode)} len=${data.length}${msg.compressed ? ' (inflated)' : ''} from ${msg.frames} frames`);
    this.push({ type: 'message', opcode: msg.opcode, data, compressed: msg.compressed, frames: msg.frames });
  }

  private onControl(frame: ParsedFrame): void {
    if (!frame.fin) return this.violation('fragmented control frame (RFC 6455 §5.5)');
    if (frame.payload.length > 125) return this.violation('control frame payload over 125 bytes (RFC 6455 §5.5)');
    if (frame.opcode === Opcode.ping) {
      // The peer's own heartbeat: answer it as a good peer would and do not judge it.
      if (!this.closeSent && !this.socket.destroyed && this.socket.writable) {
        this.socket.write(buildFrame({ opcode: Opcode.pong, payload: frame.payload }, this.role === 'client'));
        this.trace.add('>', `pong (auto reply) len=${frame.payload.length}`);
      }
      return;
    }
    if (frame.opcode === Opcode.pong) return this.push({ type: 'pong', data: frame.payload });
    if (frame.opcode !== Opcode.close) return this.violation(`reserved control opcode ${frame.opcode} (RFC 6455 §5.2)`);
    this.closeReceived = true;
    if (frame.payload.length === 1) return this.violation('close frame with a 1-byte payload (RFC 6455 §5.5.1)');
    if (frame.payload.length === 0) return this.push({ type: 'close', code: null, reason: '' });
    const code = frame.payload.readUInt16BE(0);
    if (!isWireCloseCode(code)) return this.violation(`close code ${code} must not be sent (RFC 6455 §7.4)`);
    const reason = frame.payload.subarray(2);
    if (!isValidUtf8(reason)) return this.violation('close reason is not valid UTF-8 (RFC 6455 §5.5.1)');
    this.push({ type: 'close', code, reason: reason.toString('utf8') });
  }
}
