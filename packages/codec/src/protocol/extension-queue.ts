/**
 * The queues a negotiated per-message extension (permessage-deflate, RFC
 * 7692) adds to a {@link Connection}: compressed messages wait in arrival
 * order for `decode`, outgoing frames wait behind a message that awaits
 * `encode`. One extension call at a time in each direction, so a context
 * takeover compressor sees messages in order, and events and frames keep
 * their order even when the extension answers with promises.
 *
 * @module
 */
import { CloseCode } from './close-code.js';
import { ProtocolError } from './errors.js';
import { binaryEvent, rawTextEvent, textEvent, type ConnectionEvent } from './events.js';
import { isPromise, type MessageExtension } from './extension.js';
import type { CompressedMessage } from './message-assembler.js';
import { defaultUtf8ValidatorFactory, type Utf8Validator, type Utf8ValidatorFactory } from './utf8.js';

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Validates a text message's UTF-8 as the extension decodes it (fail fast:
 * RFC 6455 §8.1, STYLE.md lesson 7), and remembers how much it saw so the
 * whole result need not be validated again.
 */
class TextCheck {
  readonly #validator: Utf8Validator;
  checked = 0;
  failed = false;
  readonly onOutput = (chunk: Uint8Array): boolean => {
    if (this.failed) return false;
    if (!this.#validator.update(chunk)) {
      this.failed = true;
      return false;
    }
    this.checked += chunk.length;
    return true;
  };

  constructor(validator: Utf8Validator) {
    this.#validator = validator;
  }

  /** True when every byte of `result` went through `onOutput` and the message ends on a character boundary. */
  coversValid(result: Uint8Array): boolean | undefined {
    if (this.failed) {
      this.#validator.finish();
      return false;
    }
    const complete = this.#validator.finish();
    // An extension that ignored onOutput (or fed it something else): unknown.
    if (this.checked !== result.length) return undefined;
    return complete;
  }
}

/** An event whose value the extension is still computing; it holds its place in the event order. */
export class PendingSlot {
  settled = false;
  /** `undefined` once settled means "dropped" (the connection failed before it). */
  event: ConnectionEvent | undefined = undefined;
}

/** A compressed message waiting for `extension.decode`. */
interface DecodeJob {
  readonly slot: PendingSlot;
  readonly message: CompressedMessage;
  /** Text messages: UTF-8 checked while the extension decodes. */
  check?: TextCheck | undefined;
}

/** An outgoing frame held back behind a message that awaits `extension.encode`. */
interface OutgoingItem {
  readonly opcode: number;
  payload: Uint8Array;
  readonly fin: boolean;
  /** Still to be passed to `extension.encode`. */
  compress: boolean;
  rsv1: boolean;
  /** Bytes charged to the queue while it waits. */
  readonly size: number;
  /** A payload compressed elsewhere, once for many connections, that may still be on its way. */
  deferred?: Uint8Array | Promise<Uint8Array> | undefined;
}

/**
 * What permessage-deflate did on one connection, in payload bytes: `in*`
 * for received compressed messages (as they came, and once inflated),
 * `out*` for messages sent compressed (before, and after deflate). The
 * ratio of a direction is `…Compressed / …Uncompressed`.
 */
export interface DeflateStats {
  readonly inCompressed: number;
  readonly inUncompressed: number;
  readonly outUncompressed: number;
  readonly outCompressed: number;
}

/** What the queue needs of its connection. */
export interface ExtensionQueueHost {
  /** Write one frame to the output, in queue order. */
  writeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void;
  /** A decode failed (1007, 1009...): fail the connection at `slot`'s place in the event order. */
  decodeFailed(error: ProtocolError, slot: PendingSlot): void;
  /** An encode failed (1011): fail the connection. */
  encodeFailed(error: ProtocolError): void;
  /** An async extension call finished: the connection may now be disposable. */
  settled(): void;
}

function extensionFailure(error: unknown, encoding: boolean): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // A failure to encode is ours (1011); one to decode is the peer's data (1007 unless the extension says otherwise).
  return encoding
    ? new ProtocolError('FW_ERR_EXTENSION', CloseCode.InternalError, `extension encode failed: ${message}`)
    : new ProtocolError('FW_ERR_DECOMPRESSION', CloseCode.InvalidPayload, `extension decode failed: ${message}`);
}

/** See the module comment. One per connection with a negotiated extension. */
export class ExtensionQueue {
  readonly #extension: MessageExtension;
  readonly #maxMessageSize: number;
  readonly #host: ExtensionQueueHost;
  #decodeJobs: DecodeJob[] = [];
  #decoding = false;
  #sendQueue: OutgoingItem[] = [];
  #sendQueueBytes = 0;
  #encoding = false;
  #pendingPromise: Promise<void> | undefined;
  #resolvePending: (() => void) | undefined;
  #disposed = false;

  readonly #utf8: Utf8ValidatorFactory;
  /** Text as validated bytes, decoded on demand (the connection's `rawText`). */
  readonly #rawText: boolean;
  // Counted here, where both sizes of a message are known, and only on
  // connections that negotiated the extension (no cost without it).
  #inCompressed = 0;
  #inUncompressed = 0;
  #outUncompressed = 0;
  #outCompressed = 0;

  constructor(extension: MessageExtension, maxMessageSize: number, host: ExtensionQueueHost, utf8?: Utf8ValidatorFactory, rawText = false) {
    this.#extension = extension;
    this.#maxMessageSize = maxMessageSize;
    this.#host = host;
    this.#utf8 = utf8 ?? defaultUtf8ValidatorFactory;
    this.#rawText = rawText;
  }

  /** Bytes before and after the extension, both directions, since the connection opened. */
  get stats(): DeflateStats {
    return {
      inCompressed: this.#inCompressed,
      inUncompressed: this.#inUncompressed,
      outUncompressed: this.#outUncompressed,
      outCompressed: this.#outCompressed,
    };
  }

  /** Payload bytes of frames waiting behind an encode. */
  get queuedBytes(): number {
    return this.#sendQueueBytes;
  }

  /** Frames wait in the send queue: anything sent now must queue behind them. */
  get sending(): boolean {
    return this.#sendQueue.length > 0;
  }

  /** An extension call is in flight or a decode is waiting: not yet disposable. */
  get busy(): boolean {
    return this.#decoding || this.#encoding || this.#decodeJobs.length > 0;
  }

  // ---- receiving --------------------------------------------------------

  /** Queue a compressed message; its event appears in the returned slot once decoded. */
  decode(message: CompressedMessage): PendingSlot {
    const slot = new PendingSlot();
    this.#decodeJobs.push({ slot, message });
    this.#runDecodes();
    return slot;
  }

  /** The connection failed or closed: no waiting decode will be delivered. */
  dropDecodes(): void {
    for (const job of this.#decodeJobs) job.slot.settled = true;
    this.#decodeJobs = [];
  }

  /** Runs decodes one at a time, in arrival order. */
  #runDecodes(): void {
    while (!this.#decoding && this.#decodeJobs.length > 0) {
      const job = this.#decodeJobs[0]!;
      let result: Uint8Array | Promise<Uint8Array>;
      try {
        if (!job.message.binary) job.check = new TextCheck(this.#utf8());
        result = this.#extension.decode(job.message.fragments, this.#maxMessageSize, job.check?.onOutput);
      } catch (error) {
        this.#decodeJobs.shift();
        this.#settleDecode(job, extensionFailure(error, false));
        continue;
      }
      if (!isPromise(result)) {
        this.#decodeJobs.shift();
        this.#settleDecode(job, result);
        continue;
      }
      this.#decoding = true;
      result.then(
        (bytes) => this.#asyncDecodeDone(job, bytes),
        (error: unknown) => this.#asyncDecodeDone(job, extensionFailure(error, false)),
      );
    }
  }

  #asyncDecodeDone(job: DecodeJob, result: Uint8Array | ProtocolError): void {
    this.#decoding = false;
    // Stale when the connection failed or closed meanwhile: the job was dropped.
    if (this.#decodeJobs[0] === job) {
      this.#decodeJobs.shift();
      this.#settleDecode(job, result);
      this.#runDecodes();
    }
    this.#host.settled();
    this.wake();
  }

  #settleDecode(job: DecodeJob, result: Uint8Array | ProtocolError): void {
    let event: ConnectionEvent | ProtocolError;
    if (!(result instanceof ProtocolError)) {
      for (const fragment of job.message.fragments) this.#inCompressed += fragment.length;
      this.#inUncompressed += result.length;
    }
    if (result instanceof ProtocolError) event = result;
    else if (result.length > this.#maxMessageSize) {
      // Defensive: the extension was told the limit (RFC 7692 §8.1 "decompression bomb").
      event = new ProtocolError('FW_ERR_MESSAGE_TOO_BIG', CloseCode.MessageTooBig, 'decompressed message too big');
    } else if (job.message.binary) event = binaryEvent(result);
    else {
      const valid = job.check?.coversValid(result);
      if (valid === true) event = this.#rawText ? rawTextEvent(result) : textEvent(lenientDecoder.decode(result));
      else if (valid === false) event = new ProtocolError('FW_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'text message is not valid UTF-8');
      else if (this.#rawText) {
        // The extension bypassed onOutput: check the whole result now.
        const validator = this.#utf8();
        const whole = validator.update(result);
        event = validator.finish() && whole ? rawTextEvent(result) : new ProtocolError('FW_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'text message is not valid UTF-8');
      } else {
        try {
          event = textEvent(fatalDecoder.decode(result));
        } catch {
          event = new ProtocolError('FW_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'text message is not valid UTF-8');
        }
      }
    }
    job.slot.settled = true;
    if (event instanceof ProtocolError) this.#host.decodeFailed(event, job.slot);
    else job.slot.event = event;
  }

  // ---- sending ----------------------------------------------------------

  /**
   * Queue a frame (`compress`: a whole message for `encode`; `rsv1`: a
   * payload compressed elsewhere, sent as is); frames leave in order.
   */
  send(opcode: number, payload: Uint8Array, fin: boolean, compress: boolean, rsv1 = false): void {
    this.#sendQueue.push({ opcode, payload, fin, compress, rsv1, size: payload.length });
    this.#sendQueueBytes += payload.length;
    this.#pumpSendQueue();
  }

  /**
   * Queue a whole message whose compressed payload (trailer removed) comes
   * from elsewhere, shared by several connections (`payload` is the
   * uncompressed message, charged to the queue while it waits). Leaves in
   * order with RSV1 set, once `deflated` is known.
   */
  sendDeflated(opcode: number, payload: Uint8Array, deflated: Uint8Array | Promise<Uint8Array>): void {
    this.#sendQueue.push({ opcode, payload, fin: true, compress: false, rsv1: false, size: payload.length, deferred: deflated });
    this.#sendQueueBytes += payload.length;
    this.#pumpSendQueue();
  }

  /** The connection failed or closed: queued frames will never be sent. */
  dropSends(): void {
    this.#sendQueue = [];
    this.#sendQueueBytes = 0;
  }

  /** Writes queued items in order, calling `encode` one message at a time. */
  #pumpSendQueue(): void {
    const queue = this.#sendQueue;
    while (!this.#encoding && queue.length > 0) {
      const item = queue[0]!;
      const deferred = item.deferred;
      if (deferred !== undefined) {
        item.deferred = undefined;
        if (isPromise(deferred)) {
          // Waits like an async encode of our own: what follows stays behind it.
          this.#encoding = true;
          deferred.then(
            (bytes) => this.#asyncEncodeDone(item, bytes),
            (error: unknown) => this.#asyncEncodeDone(item, extensionFailure(error, true)),
          );
          return;
        }
        item.payload = deferred;
        item.rsv1 = true;
      }
      if (item.compress) {
        item.compress = false;
        let result: Uint8Array | Promise<Uint8Array> | undefined;
        try {
          result = this.#extension.encode(item.payload);
        } catch (error) {
          this.#host.encodeFailed(extensionFailure(error, true));
          return;
        }
        if (isPromise(result)) {
          this.#encoding = true;
          result.then(
            (bytes) => this.#asyncEncodeDone(item, bytes),
            (error: unknown) => this.#asyncEncodeDone(item, extensionFailure(error, true)),
          );
          return;
        }
        if (result !== undefined) {
          item.payload = result;
          item.rsv1 = true; // RFC 7692 §6: RSV1 on the first frame of a compressed message
        }
      }
      queue.shift();
      this.#sendQueueBytes -= item.size;
      if (item.rsv1) {
        this.#outUncompressed += item.size;
        this.#outCompressed += item.payload.length;
      }
      this.#host.writeFrame(item.opcode, item.payload, item.fin, item.rsv1);
    }
  }

  #asyncEncodeDone(item: OutgoingItem, result: Uint8Array | ProtocolError): void {
    this.#encoding = false;
    if (this.#sendQueue[0] === item) {
      if (result instanceof ProtocolError) this.#host.encodeFailed(result);
      else {
        item.payload = result;
        item.rsv1 = true;
        this.#pumpSendQueue();
      }
    }
    this.#host.settled();
    this.wake();
  }

  // ---- async ------------------------------------------------------------

  /** A promise while an extension call is in flight (it resolves when more may be ready), else `undefined`. */
  pending(): Promise<void> | undefined {
    if (!this.#decoding && !this.#encoding) return undefined;
    this.#pendingPromise ??= new Promise<void>((resolve) => {
      this.#resolvePending = resolve;
    });
    return this.#pendingPromise;
  }

  /** Resolve the promise `pending()` handed out. */
  wake(): void {
    const resolve = this.#resolvePending;
    if (resolve === undefined) return;
    this.#pendingPromise = undefined;
    this.#resolvePending = undefined;
    resolve();
  }

  /** Release the extension (zlib contexts) once; the connection calls it when closed and not busy. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#extension.dispose();
  }
}
