// permessage-deflate round-trip benchmark: framewire's deflate extension
// (node:zlib engine, and the pure-JS pako engine for reference) beside ws's
// own PerMessageDeflate class, same process, same messages, same run.
// Server compresses, client inflates, with context takeover, one message at
// a time (as a connection does); prints messages/s and the ratio to ws.
//
//   node bench/deflate.bench.mjs            full run
//   node bench/deflate.bench.mjs --quick    short run
//   node bench/deflate.bench.mjs --size 1024   another message size (default 16 KiB)
//
// framewire is measured at permessageDeflate()'s default level
// (DEFAULT_DEFLATE_LEVEL, 1) and, for reference, at level 6 (zlib's default,
// what ws uses): the compressed size column shows what the faster level
// costs in bytes on the wire. msg/s is wall time (best round); CPU µs/msg is
// process CPU including zlib's thread pool, steadier on a shared machine.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundleSource } from './load-codec.mjs';

const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const sizeArg = process.argv.indexOf('--size');
const MESSAGE_SIZE = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 16 * 1024;
const ROUNDS = quick ? 3 : 5;
const PER_ROUND = quick ? 400 : 1500;

// A throwaway bundle of the TypeScript sources, so the numbers are always of ../src.
const { createDeflateExtension, DEFAULT_DEFLATE_LEVEL, pakoCompressor, zlibCompressor } = await import(
  await bundleSource(
    {
      'protocol/deflate-extension.ts': ['createDeflateExtension', 'DEFAULT_DEFLATE_LEVEL'],
      'protocol/deflate-pako.ts': ['pakoCompressor'],
      'zlib/index.ts': ['zlibCompressor'],
    },
    'node',
  )
);

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

/** framewire's extension as permessageDeflate() builds it: level DEFAULT_DEFLATE_LEVEL unless given. */
function framewire(compressor, level = DEFAULT_DEFLATE_LEVEL) {
  const server = createDeflateExtension({ role: 'server', params, compressor: compressor(), threshold: 0, level });
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
  let bestCpu = Infinity;
  let wireBytes = 0;
  let inBytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) {
      const m = messages[i % messages.length];
      wireBytes += await subject.roundTrip(m);
      inBytes += m.length;
    }
    best = Math.max(best, PER_ROUND / ((performance.now() - start) / 1000));
    // CPU of the whole process (zlib's thread pool included): steadier than msg/s on a shared machine.
    const cpu = process.cpuUsage(cpu0);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / PER_ROUND);
  }
  subject.dispose();
  return { perSecond: best, cpuPerMessage: bestCpu, ratio: wireBytes / inBytes };
}

console.log(`permessage-deflate round trip, ${MESSAGE_SIZE} B JSON-like text, context takeover; ws ${wsVersion}; node ${process.version}${quick ? '; --quick' : ''}`);
// Alternate the subjects so a noisy neighbour hurts them alike.
const makers = {
  'framewire (node:zlib)': () => framewire(zlibCompressor),
  'ws PerMessageDeflate': ws,
  'framewire (node:zlib, level 6)': () => framewire(zlibCompressor, 6),
  'framewire (pako)': () => framewire(pakoCompressor),
  'framewire (pako, level 6)': () => framewire(pakoCompressor, 6),
};
const results = Object.fromEntries(Object.keys(makers).map((name) => [name, []]));
for (let pass = 0; pass < 2; pass++) {
  for (const [name, make] of Object.entries(makers)) results[name].push(await measure(make));
}
const best = (name) => results[name].reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
const bestCpu = (name) => Math.min(...results[name].map((r) => r.cpuPerMessage));
const wsBest = best('ws PerMessageDeflate');
const wsCpu = bestCpu('ws PerMessageDeflate');
for (const name of Object.keys(makers)) {
  const r = best(name);
  const cpu = bestCpu(name);
  console.log(
    `${name.padEnd(32)} ${r.perSecond.toFixed(0).padStart(7)} msg/s  ratio to ws ${(r.perSecond / wsBest.perSecond).toFixed(2)}x  ` +
      `CPU ${cpu.toFixed(0).padStart(5)} µs/msg (${(cpu / wsCpu).toFixed(2)}x ws)  compressed ${(r.ratio * 100).toFixed(1)}%`,
  );
}
