/**
 * The wire format between `framewire serve` and its spawn helper
 * (native/spawn-helper.c, whose module comment is the reference): frames
 * from the server, 16-byte records (some followed by data) from the helper.
 * Pure: no I/O, so the parser can be property-tested on any split of the
 * stream.
 *
 * @module
 */

/** The version the helper announces in its HELLO; another version is refused. */
export const PROTOCOL_VERSION = 3;
/** Bytes of one record header. */
export const RECORD_BYTES = 16;
/** stdout bytes a program may send before the first CREDIT (the helper's OUTPUT_WINDOW). */
export const OUTPUT_WINDOW = 64 * 1024;
/** stdin bytes the server may have sent and the helper not yet reported written (its INPUT_WINDOW). */
export const INPUT_WINDOW = 64 * 1024;

/** Records from the helper. */
export const enum Report {
  Spawned = 1,
  Failed = 2,
  Exited = 3,
  Output = 4,
  Errors = 5,
  OutputEnd = 6,
  ErrorsEnd = 7,
  InputTaken = 8,
  Hello = 9,
  InputGone = 10,
}

/** Frames to the helper. */
export const enum Request {
  Spawn = 1,
  Kill = 2,
  Input = 3,
  InputEnd = 4,
  Credit = 5,
}

/** One record: `data` is set for OUTPUT and ERRORS (its length is `a`). */
export interface HelperRecord {
  readonly type: number;
  readonly id: number;
  readonly a: number;
  readonly b: number;
  readonly data?: Buffer;
}

const hasData = (type: number): boolean => type === Report.Output || type === Report.Errors;

/**
 * Splits the helper's stdout into records, whatever the chunk boundaries.
 * A data record's bytes are handed out as a view of the chunk they came in
 * (or of a joined copy when they straddled two), never reused afterwards.
 */
export class RecordReader {
  #rest: Buffer | undefined;

  /** Take `chunk`; `onRecord` hears every record it completes, in order. */
  push(chunk: Buffer, onRecord: (record: HelperRecord) => void): void {
    const bytes = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let at = 0;
    while (bytes.length - at >= RECORD_BYTES) {
      const type = bytes[at]!;
      const id = bytes.readUInt32LE(at + 4);
      const a = bytes.readInt32LE(at + 8);
      const b = bytes.readInt32LE(at + 12);
      if (!hasData(type)) {
        onRecord({ type, id, a, b });
        at += RECORD_BYTES;
        continue;
      }
      if (bytes.length - at - RECORD_BYTES < a) break;
      onRecord({ type, id, a, b, data: bytes.subarray(at + RECORD_BYTES, at + RECORD_BYTES + a) });
      at += RECORD_BYTES + a;
    }
    if (at < bytes.length) this.#rest = bytes.subarray(at);
  }

  /** Bytes of an unfinished record held for the next chunk. */
  get pendingBytes(): number {
    return this.#rest?.length ?? 0;
  }
}

/** A frame of `type` for program `id` with these body parts (already encoded). */
export function encodeFrame(type: Request, id: number, body: readonly Uint8Array[] = []): Buffer {
  let length = 5;
  for (const part of body) length += part.byteLength;
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32LE(length, 0);
  frame[4] = type;
  frame.writeUInt32LE(id, 5);
  let at = 9;
  for (const part of body) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
}

/** A u32 or i32 as 4 little-endian bytes. */
export function int32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  if (value < 0) bytes.writeInt32LE(value);
  else bytes.writeUInt32LE(value);
  return bytes;
}

/** The body of a SPAWN frame: the counts, then path, cwd, argv and environment as one UTF-8 run of NUL-ended strings. */
export function spawnBody(path: string, cwd: string, argv: readonly string[], env: readonly string[]): Buffer[] {
  const counts = Buffer.allocUnsafe(8);
  counts.writeUInt32LE(argv.length, 0);
  counts.writeUInt32LE(env.length, 4);
  // One string, one encoding pass.
  let strings = `${path}\0${cwd}\0`;
  for (const item of argv) strings += `${item}\0`;
  for (const item of env) strings += `${item}\0`;
  return [counts, Buffer.from(strings)];
}
