import { isUtf8 } from 'node:buffer';
import { utf8ValidatorFromWholeBuffer, type AdapterRuntime, type ReadableStreamConstructorLike } from '@framewire/codec/adapter';
import { zlibCompressor } from '@framewire/codec/zlib';
import { bunScheduler } from './bun-scheduler.js';

/** The UTF-8 validator hook every connection gets: Bun's native `buffer.isUtf8`. */
export const bunUtf8 = utf8ValidatorFromWholeBuffer(isUtf8);

/**
 * Dropped inflate output after which Bun is asked for a full collection.
 * JavaScriptCore frees large buffers lazily: ten deflate bombs in a row (each
 * inflating to the message limit before it is refused) stacked +220 MiB of
 * RSS without this, +65 MiB with it. The threshold keeps a peer that
 * overflows a small limit again and again from buying a full GC per message.
 */
const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;
let droppedSinceCollect = 0;
let collectPending = false;

/** @internal */
export function collectAfterOverflow(droppedBytes: number): void {
  droppedSinceCollect += droppedBytes;
  if (droppedSinceCollect < COLLECT_AFTER_BYTES || collectPending) return;
  droppedSinceCollect = 0;
  collectPending = true;
  // After the current turn, once the inflater's chunk list is out of scope.
  setTimeout(() => {
    collectPending = false;
    Bun.gc(true);
  }, 0);
}

const bunCompressor = (): ReturnType<typeof zlibCompressor> => zlibCompressor({ onOverflow: collectAfterOverflow });

/** The runtime hooks of every Bun connection: timers, node:zlib, native UTF-8 check. @internal */
export const bunRuntime: AdapterRuntime = {
  scheduler: bunScheduler,
  compressor: bunCompressor,
  utf8: bunUtf8,
  // Bun's web stream, for `messageStream` bodies (the codec takes no global itself).
  readableStream: ReadableStream as unknown as ReadableStreamConstructorLike,
};
