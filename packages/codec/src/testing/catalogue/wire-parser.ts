/**
 * An independent RFC 6455 frame parser for judging the bytes an
 * implementation sends.
 *
 * It is written apart from `src/protocol` on purpose and imports nothing:
 * a test that checks our output with our own decoder cannot catch a mistake
 * the encoder and decoder share. So it is kept deliberately simple: it takes
 * the whole output at once, reads each frame in straight-line steps in the
 * order of the RFC 6455 §5.2 diagram, and stops at the first rule broken.
 * Speed does not matter here; being obviously correct by reading does.
 *
 * @example
 * ```ts
 * const frames = parseWireFrames(connection.takeOutput(), { sender: 'client' });
 * checkWireSequence(frames);
 * ```
 *
 * @module
 */

// RFC 6455 §5.2 / §11.8: the defined opcodes. Everything else is reserved.
const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const DEFINED_OPCODES: readonly number[] = [OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG];

// RFC 6455 §5.5: control frames carry at most 125 bytes.
const MAX_CONTROL_PAYLOAD = 125;

/** One frame as it was on the wire, with its payload already unmasked. */
export interface WireFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** The 4-byte masking key, when `masked`. */
  readonly maskKey: Uint8Array | undefined;
  /** Application data, unmasked (a fresh copy). */
  readonly payload: Uint8Array;
}

/** Who wrote the bytes and what was negotiated. */
export interface WireParseOptions {
  /** A client masks every frame, a server none (RFC 6455 §5.1). */
  readonly sender: 'client' | 'server';
  /** RSV1 may mark the first frame of a data message (permessage-deflate, RFC 7692 §6). Default `false`. */
  readonly rsv1?: boolean;
}

/** The bytes broke a rule; `offset` is where the offending frame starts. */
export class WireError extends Error {
  /** Byte offset of the frame that broke the rule. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`invalid frame at byte ${offset}: ${message}`);
    this.name = 'WireError';
    this.offset = offset;
  }
}

/** Joins chunks into one buffer. */
function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

/** Reads a big-endian unsigned 32-bit number. */
function readUint32(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x100_0000 + bytes[at + 1]! * 0x1_0000 + bytes[at + 2]! * 0x100 + bytes[at + 3]!;
}

/** Parses the one frame that starts at `start`; returns it and where the next one starts. */
function parseOneFrame(bytes: Uint8Array, start: number, options: WireParseOptions): { frame: WireFrame; end: number } {
  let at = start;
  const fail = (message: string): never => {
    throw new WireError(message, start);
  };
  const need = (count: number, what: string): void => {
    if (bytes.length - at < count) fail(`truncated: ${what} needs ${count} bytes, ${bytes.length - at} left`);
  };

  // Byte 0: FIN, RSV1, RSV2, RSV3, opcode (4 bits). Byte 1: MASK, payload len (7 bits).
  need(2, 'the first two header bytes');
  const byte0 = bytes[at]!;
  const byte1 = bytes[at + 1]!;
  at += 2;
  const fin = (byte0 & 0b1000_0000) !== 0;
  const rsv1 = (byte0 & 0b0100_0000) !== 0;
  const rsv2 = (byte0 & 0b0010_0000) !== 0;
  const rsv3 = (byte0 & 0b0001_0000) !== 0;
  const opcode = byte0 & 0b0000_1111;
  const masked = (byte1 & 0b1000_0000) !== 0;
  const length7 = byte1 & 0b0111_1111;

  // RFC 6455 §5.2: reserved opcodes are not sent.
  if (!DEFINED_OPCODES.includes(opcode)) fail(`reserved opcode 0x${opcode.toString(16)}`);
  const isControl = opcode === OPCODE_CLOSE || opcode === OPCODE_PING || opcode === OPCODE_PONG;

  // RFC 6455 §5.2: RSV bits are 0 unless an extension defines them.
  if (rsv2) fail('RSV2 set');
  if (rsv3) fail('RSV3 set');
  if (rsv1 && options.rsv1 !== true) fail('RSV1 set without a negotiated extension');
  // RFC 7692 §6.1: RSV1 only on the first frame of a data message.
  if (rsv1 && isControl) fail('RSV1 set on a control frame');
  if (rsv1 && opcode === OPCODE_CONTINUATION) fail('RSV1 set on a continuation frame');

  // RFC 6455 §5.5: control frames are never fragmented.
  if (isControl && !fin) fail('control frame without FIN');

  // RFC 6455 §5.1, §5.3: a client masks every frame; a server masks none.
  if (options.sender === 'client' && !masked) fail('client frame not masked');
  if (options.sender === 'server' && masked) fail('server frame masked');

  // RFC 6455 §5.2: payload length in 7 bits, 7+16 bits or 7+64 bits, in the
  // minimal number of bytes; the 64-bit form has its most significant bit 0.
  let length: number;
  if (length7 <= 125) {
    length = length7;
  } else if (length7 === 126) {
    need(2, 'the 16-bit payload length');
    length = bytes[at]! * 0x100 + bytes[at + 1]!;
    at += 2;
    if (length <= 125) fail(`16-bit length form used for ${length} bytes`);
  } else {
    need(8, 'the 64-bit payload length');
    const high = readUint32(bytes, at);
    const low = readUint32(bytes, at + 4);
    at += 8;
    if (high >= 0x8000_0000) fail('64-bit length with its most significant bit set');
    length = high * 0x1_0000_0000 + low;
    if (length <= 0xffff) fail(`64-bit length form used for ${length} bytes`);
  }

  // RFC 6455 §5.5: control frames carry at most 125 bytes.
  if (isControl && length > MAX_CONTROL_PAYLOAD) fail(`control frame with ${length} bytes`);

  // RFC 6455 §5.2: the masking key follows the length when MASK is set.
  let maskKey: Uint8Array | undefined;
  if (masked) {
    need(4, 'the masking key');
    maskKey = bytes.slice(at, at + 4);
    at += 4;
  }

  // RFC 6455 §5.3: payload byte i is XORed with maskKey[i mod 4].
  need(length, 'the payload');
  const payload = bytes.slice(at, at + length);
  at += length;
  if (maskKey !== undefined) {
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ maskKey[i % 4]!;
  }

  return { frame: { fin, rsv1, rsv2, rsv3, opcode, masked, maskKey, payload }, end: at };
}

/**
 * Parses everything one endpoint wrote into frames, checking each against
 * RFC 6455 §5.1–§5.5 (and RFC 7692 §6.1 for RSV1). The bytes must end
 * exactly at a frame boundary.
 *
 * @throws {@link WireError} at the first frame that breaks a rule or is cut short.
 */
export function parseWireFrames(output: Uint8Array | readonly Uint8Array[], options: WireParseOptions): WireFrame[] {
  const bytes = output instanceof Uint8Array ? output : joinChunks(output);
  const frames: WireFrame[] = [];
  let at = 0;
  while (at < bytes.length) {
    const { frame, end } = parseOneFrame(bytes, at, options);
    frames.push(frame);
    at = end;
  }
  return frames;
}

/** Whether `code` is one an endpoint may put in a Close frame (RFC 6455 §7.4; 1012–1014 registered by IANA). */
function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Checks the order of a complete run of frames from one endpoint:
 * fragments form whole messages with control frames only between them
 * (RFC 6455 §5.4), a Close body is empty or a sendable code plus a UTF-8
 * reason (§5.5.1, §7.4), and nothing follows a Close frame (§5.5.1).
 *
 * @throws {@link Error} naming the index of the first frame out of order.
 */
export function checkWireSequence(frames: readonly WireFrame[]): void {
  let messageOpen = false;
  let closed = false;
  frames.forEach((frame, index) => {
    const fail = (message: string): never => {
      throw new Error(`frame ${index} (opcode 0x${frame.opcode.toString(16)}): ${message}`);
    };
    if (closed) fail('sent after a Close frame');
    if (frame.opcode === OPCODE_CONTINUATION) {
      if (!messageOpen) fail('continuation frame with no message to continue');
      messageOpen = !frame.fin;
    } else if (frame.opcode === OPCODE_TEXT || frame.opcode === OPCODE_BINARY) {
      if (messageOpen) fail('new data message before the previous one ended');
      messageOpen = !frame.fin;
    } else if (frame.opcode === OPCODE_CLOSE) {
      closed = true;
      const body = frame.payload;
      if (body.length === 1) fail('close body of one byte');
      if (body.length >= 2) {
        const code = body[0]! * 0x100 + body[1]!;
        if (!isSendableCloseCode(code)) fail(`close code ${code} may not be sent`);
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(2));
        } catch {
          fail('close reason is not valid UTF-8');
        }
      }
    }
  });
}
