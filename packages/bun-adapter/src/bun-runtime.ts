import { isUtf8 } from 'node:buffer';
import { utf8ValidatorFromWholeBuffer, type AdapterRuntime } from '@framewire/codec/adapter';
import { zlibCompressor } from '@framewire/codec/zlib';
import { bunScheduler } from './bun-scheduler.js';

/** The UTF-8 validator hook every connection gets: Bun's native `buffer.isUtf8`. */
export const bunUtf8 = utf8ValidatorFromWholeBuffer(isUtf8);

/** The runtime hooks of every Bun connection: timers, node:zlib, native UTF-8 check. @internal */
export const bunRuntime: AdapterRuntime = { scheduler: bunScheduler, compressor: zlibCompressor, utf8: bunUtf8 };
