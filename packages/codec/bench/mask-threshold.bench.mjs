// Where does bufferutil's native mask (an N-API call) start to beat the
// codec's JS loop? Evidence for NATIVE_THRESHOLD (copying) and
// NATIVE_IN_PLACE_THRESHOLD (in place) in src/protocol/mask.ts.
//
//   node bench/mask-threshold.bench.mjs [--quick]
//
// In place: the real FrameDecoder over masked frames cut in 64 KiB chunks (a
// frame inside one chunk is unmasked in place), built from ../src once per
// threshold with the constant patched (a throwaway esbuild bundle), the
// variants interleaved round by round, CPU time, median of the rounds.
// Copying: maskInto, JS against the native function called directly.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rounds = quick ? 3 : 7;
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const native = require('bufferutil').mask;

/** The codec from ../src with NATIVE_IN_PLACE_THRESHOLD set to `threshold`. */
async function codecWith(threshold) {
  const dir = mkdtempSync(join(tmpdir(), 'fw-mask-threshold-'));
  cpSync(join(here, '..', 'src'), join(dir, 'src'), { recursive: true });
  const file = join(dir, 'src', 'protocol', 'mask.ts');
  const text = readFileSync(file, 'utf8');
  const patched = text.replace(/const NATIVE_IN_PLACE_THRESHOLD = [^;]+;/, `const NATIVE_IN_PLACE_THRESHOLD = ${threshold};`);
  if (patched === text) throw new Error('NATIVE_IN_PLACE_THRESHOLD not found in mask.ts');
  writeFileSync(file, patched);
  const outfile = join(dir, 'codec.mjs');
  // Only the frame layer: no third-party module to resolve from the temp folder.
  await build({
    stdin: {
      contents: [
        "export { FrameDecoder } from './src/protocol/frame-decoder.ts';",
        "export { encodeFrameToBuffer } from './src/protocol/frame.ts';",
        "export { maskInto, setNativeMask } from './src/protocol/mask.ts';",
      ].join('\n'),
      resolveDir: dir,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile,
    logLevel: 'error',
  });
  const codec = await import(pathToFileURL(outfile).href);
  rmSync(dir, { recursive: true, force: true });
  codec.setNativeMask(native);
  return codec;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`node ${process.version}; native = bufferutil.mask; ${rounds} interleaved rounds, median MB/s of payload per CPU second`);
const variants = [
  ['native from 0 B', await codecWith(0)],
  ['JS only', await codecWith(Number.MAX_SAFE_INTEGER)],
];
console.log('\nin place: FrameDecoder, masked binary frames in 64 KiB chunks');
for (const size of [256, 1024, 2048, 4096, 8192, 16384]) {
  const count = Math.ceil(((quick ? 2 : 4) * 1024 * 1024) / size);
  const payload = new Uint8Array(size).fill(0x61);
  const first = variants[0][1];
  const frames = Array.from({ length: count }, () => first.encodeFrameToBuffer({ opcode: 2, payload, mask: true }));
  const master = Buffer.concat(frames);
  const fresh = () => {
    const copy = Buffer.from(master);
    const chunks = [];
    for (let i = 0; i < copy.length; i += 65536) chunks.push(copy.subarray(i, i + 65536));
    return chunks;
  };
  const pass = (codec, chunks) => {
    const decoder = new codec.FrameDecoder({ role: 'server', maxFrameSize: 1 << 26 });
    let n = 0;
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (let r = decoder.read(); r !== undefined; r = decoder.read()) n++;
    }
    if (n !== count) throw new Error(`decoded ${n}/${count}`);
  };
  const rates = variants.map(() => []);
  for (const [, codec] of variants) pass(codec, fresh()); // warm-up
  for (let round = 0; round < rounds; round++) {
    variants.forEach(([, codec], v) => {
      let ms = 0;
      for (let k = 0; k < 5; k++) {
        const chunks = fresh();
        const t0 = cpuMs();
        pass(codec, chunks);
        ms += cpuMs() - t0;
      }
      rates[v].push((5 * size * count) / ms / 1000);
    });
  }
  const [nat, js] = rates.map(median);
  console.log(`${String(size).padStart(6)} B  native ${nat.toFixed(0).padStart(6)}  JS ${js.toFixed(0).padStart(6)}  native ÷ JS ${(nat / js).toFixed(2)}`);
}

console.log('\ncopying: maskInto (JS) against the native function');
const { maskInto } = variants[1][1];
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
for (const size of [64, 128, 256, 1024, 4096]) {
  const src = new Uint8Array(size + 8).subarray(2, 2 + size); // after a 6-byte header: misaligned like a payload
  const dst = new Uint8Array(size + 8).subarray(2, 2 + size);
  const calls = Math.ceil(((quick ? 32 : 128) * 1024 * 1024) / size);
  const time = (fn) => {
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn();
    return (size * calls) / (cpuMs() - t0) / 1000;
  };
  const js = [];
  const nat = [];
  for (let round = 0; round < rounds; round++) {
    js.push(time(() => maskInto(src, dst, 0, key, 0)));
    nat.push(time(() => native(src, key, dst, 0, size)));
  }
  console.log(`${String(size).padStart(6)} B  native ${median(nat).toFixed(0).padStart(6)}  JS ${median(js).toFixed(0).padStart(6)}  native ÷ JS ${(median(nat) / median(js)).toFixed(2)}`);
}
