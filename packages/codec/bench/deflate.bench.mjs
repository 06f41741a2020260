// permessage-deflate round-trip benchmark: framewire's deflate extension
// (node:zlib engine, and the pure-JS pako engine for reference) beside ws's
// own PerMessageDeflate class, same process, same messages, same run.
// Server compresses, client inflates, with context takeover, one message at
// a time (as a connection does); prints messages/s and the ratio to ws.
//
//   node bench/deflate.bench.mjs            full run
//   node bench/deflate.bench.mjs --quick    short run
//   node bench/deflate.bench.mjs --size 1024   another message size (default 16 KiB)
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const sizeArg = process.argv.indexOf('--size');
const MESSAGE_SIZE = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 16 * 1024;
const ROUNDS = quick ? 3 : 5;
const PER_ROUND = quick ? 400 : 1500;

// A throwaway bundle of the TypeScript sources, so the numbers are always of ../src.
const dir = mkdtempSync(join(tmpdir(), 'fw-deflate-bench-'));
const outfile = join(dir, 'deflate.mjs');
await build({
  stdin: {
    contents: [
      "export { createDeflateExtension } from './deflate-extension.ts';",
      "export { pakoCompressor } from './deflate-pako.ts';",
      "export { zlibCompressor } from './zlib/index.ts';",
    ].join('\n'),
    resolveDir: join(here, '..', 'src'),
    loader: 'ts',
  },
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  logLevel: 'warning',
});
const { createDeflateExtension, pakoCompressor, zlibCompressor } = await import(pathToFileURL(outfile).href);
rmSync(dir, { recursive: true, force: true });

// ws's "exports" hides lib/, so reach the files through the package folder.
const wsDir = dirname(require.resolve('ws'));
const PerMessageDeflate = require(join(wsDir, 'lib', 'permessage-deflate.js'));
const { parse, format } = require(join(wsDir, 'lib', 'extension.js'));
const wsVersion = require(join(wsDir, 'package.json')).version;

/** JSON-like text, deterministic: 64 distinct 16 KiB messages. */
function jsonLike(seed) {
  const parts = [];
  let total = 0;
  for (let k = 0; total < MESSAGE_SIZE; k++) {
    const s = JSON.stringify({ id: seed * 1000 + k, name: `user${(seed * 7 + k) % 97}`, tags: ['a', 'b', String(k % 13)], score: ((k * 31 + seed) % 1000) / 7 });
    parts.push(s);
    total += s.length + 1;
  }
  return Buffer.from(`[${parts.join(',')}]`).subarray(0, MESSAGE_SIZE);
}
const messages = Array.from({ length: 64 }, (_, i) => jsonLike(i));
const maxSize = 64 * 1024 * 1024;

const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

function framewire(compressor) {
  const server = createDeflateExtension({ role: 'server', params, compressor: compressor(), threshold: 0 });
  const client = createDeflateExtension({ role: 'client', params, compressor: compressor(), threshold: 0 });
  return {
    async roundTrip(message) {
      const wire = await server.encode(message);
      const back = await client.decode([wire], maxSize);
      return wire.length + 0 * back.length;
    },
    dispose() {
      server.dispose();
      client.dispose();
    },
  };
}

function ws() {
  // Negotiate with ws's own header code: default offer, bare response
  // (context takeover, 15-bit windows), as ws client and server agree.
  const client = new PerMessageDeflate({ threshold: 0, isServer: false, maxPayload: maxSize });
  const server = new PerMessageDeflate({ threshold: 0, isServer: true, maxPayload: maxSize });
  server.accept(parse(format({ 'permessage-deflate': [client.offer()] }))['permessage-deflate']);
  client.accept(parse('permessage-deflate')['permessage-deflate']);
  const compress = (data) => new Promise((resolve, reject) => server.compress(data, true, (err, out) => (err ? reject(err) : resolve(out))));
  const decompress = (data) => new Promise((resolve, reject) => client.decompress(data, true, (err, out) => (err ? reject(err) : resolve(out))));
  return {
    async roundTrip(message) {
      const wire = await compress(message);
      await decompress(wire);
      return wire.length;
    },
    dispose() {
      server.cleanup();
      client.cleanup();
    },
  };
}

async function measure(make) {
  const subject = make();
  // Warm-up, then check the round trip is real.
  for (let i = 0; i < 50; i++) await subject.roundTrip(messages[i % messages.length]);
  let best = 0;
  let wireBytes = 0;
  let inBytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < PER_ROUND; i++) {
      const m = messages[i % messages.length];
      wireBytes += await subject.roundTrip(m);
      inBytes += m.length;
    }
    best = Math.max(best, PER_ROUND / ((performance.now() - start) / 1000));
  }
  subject.dispose();
  return { perSecond: best, ratio: wireBytes / inBytes };
}

console.log(`permessage-deflate round trip, ${MESSAGE_SIZE} B JSON-like text, context takeover; ws ${wsVersion}; node ${process.version}${quick ? '; --quick' : ''}`);
// Alternate the subjects so a noisy neighbour hurts them alike.
const results = { 'framewire (node:zlib)': [], 'ws PerMessageDeflate': [], 'framewire (pako)': [] };
const makers = { 'framewire (node:zlib)': () => framewire(zlibCompressor), 'ws PerMessageDeflate': ws, 'framewire (pako)': () => framewire(pakoCompressor) };
for (let pass = 0; pass < 2; pass++) {
  for (const [name, make] of Object.entries(makers)) results[name].push(await measure(make));
}
const best = (name) => results[name].reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
const wsBest = best('ws PerMessageDeflate');
for (const name of Object.keys(makers)) {
  const r = best(name);
  console.log(
    `${name.padEnd(24)} ${r.perSecond.toFixed(0).padStart(7)} msg/s  ${((r.perSecond * MESSAGE_SIZE) / 1024 / 1024).toFixed(1).padStart(6)} MiB/s  compressed ${(r.ratio * 100).toFixed(1)}%  ratio to ws ${(r.perSecond / wsBest.perSecond).toFixed(2)}x`,
  );
}
