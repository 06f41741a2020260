// Masking micro-benchmark: the codec's word-based mask/maskInto against the
// plain byte loop of RFC 6455 §5.3 (what ws uses without bufferutil), at
// aligned and misaligned offsets. Evidence for the choices in src/protocol/mask.ts.
//
//   node bench/mask.bench.mjs [--quick] [--src]
import { locateCodec } from './load-codec.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const { url, source } = await locateCodec({ forceSource: args.includes('--src') });
const { mask, maskInto } = await import(url);
console.log(`codec from ${source}`);

const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
function byteMask(data) {
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
}
function byteMaskInto(src, dst) {
  for (let i = 0; i < src.length; i++) dst[i] = src[i] ^ key[i & 3];
}

function rate(fn, size) {
  const reps = Math.max(1, Math.floor((quick ? 8 : 64) * 1024 * 1024 / size));
  for (let i = 0; i < Math.min(reps, 1000); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (size * reps) / (performance.now() - t0) / 1000;
}

console.log(`${'size'.padStart(8)} ${'byte in place'.padStart(14)} ${'mask()'.padStart(10)} ${'byte copy'.padStart(10)} ${'maskInto al.'.padStart(13)} ${'maskInto mis.'.padStart(14)}  (MB/s)`);
for (const size of [16, 128, 1024, 64 * 1024, 1024 * 1024]) {
  const backing = new Uint8Array(size + 8);
  const data = backing.subarray(1, 1 + size); // misaligned like a payload after a header
  const aligned = new Uint8Array(size + 8).subarray(1, 1 + size); // same offset mod 4 as data
  const misaligned = new Uint8Array(size + 8).subarray(0, size);
  const row = [
    rate(() => byteMask(data), size),
    rate(() => mask(data, key, 0), size),
    rate(() => byteMaskInto(data, misaligned), size),
    rate(() => maskInto(data, aligned, 0, key, 0), size),
    rate(() => maskInto(data, misaligned, 0, key, 0), size),
  ];
  console.log(`${String(size).padStart(8)} ${row.map((r, i) => r.toFixed(0).padStart([14, 10, 10, 13, 14][i])).join(' ')}`);
}
