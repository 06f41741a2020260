// The node:zlib engine must work unchanged on Node, Deno and Bun. The same
// bundled script runs on each runtime; it checks the RFC 7692 §7.2.3
// vectors, a context-takeover round trip across engines, a BFINAL message
// and the size budget, and prints what it saw.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerMissing } from './peers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = (name: string) => join(here, '..', '..', '..', 'node_modules', '.bin', name);

const SCRIPT = `
import { createDeflateExtension, pakoCompressor, zlibCompressor } from './codec.mjs';
const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const hex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join(' ');
const out = {};
const zs = createDeflateExtension({ role: 'server', params, compressor: zlibCompressor(), threshold: 0 });
const zc = createDeflateExtension({ role: 'client', params, compressor: zlibCompressor(), threshold: 0 });
const pc = createDeflateExtension({ role: 'client', params, compressor: pakoCompressor(), threshold: 0 });
const hello = new TextEncoder().encode('Hello');
out.first = hex(await zs.encode(hello));
out.second = hex(await zs.encode(hello));
const text = new TextEncoder().encode(JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ i, name: 'n' + (i % 17) }))));
let ok = 0;
for (let i = 0; i < 20; i++) {
  const wire = await zs.encode(text);
  const a = await pc.decode([wire.subarray(0, 7), wire.subarray(7)], text.length);
  if (a.length === text.length && a.every((b, j) => b === text[j])) ok++;
}
out.roundTrips = ok;
const bfinal = await zc.decode([Uint8Array.of(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00)], 100);
out.bfinal = new TextDecoder().decode(bfinal);
out.afterBfinal = new TextDecoder().decode(await zc.decode([Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00)], 100));
const zeros = await createDeflateExtension({ role: 'server', params, compressor: zlibCompressor(), threshold: 0 }).encode(new Uint8Array(4 << 20));
out.bombBytes = zeros.length;
try {
  await createDeflateExtension({ role: 'client', params, compressor: zlibCompressor(), threshold: 0 }).decode([zeros], 1 << 20);
  out.bomb = 'accepted';
} catch (e) {
  out.bomb = e.code + ' ' + e.closeCode;
}
try {
  await zc.decode([Uint8Array.of(0xff, 0xff, 0xff)], 100);
  out.corrupt = 'accepted';
} catch (e) {
  out.corrupt = e.code + ' ' + e.closeCode;
}
// Bytes on the wire for JSON-like text with context takeover, at permessageDeflate's default level 1 and at ws's 6.
const json = (v) => {
  let t = '';
  for (let i = 0; t.length < 16384; i++) t += JSON.stringify({ id: i * 7 + v, user: 'user-' + ((i * 31 + v) % 97), tags: ['t' + (i % 5), 'k' + ((i + v) % 11)], score: (i * 13 + v) % 1000 / 10 }) + ',';
  return new TextEncoder().encode(t.slice(0, 16384));
};
out.wireBytes = {};
for (const level of [1, 6]) {
  const e = createDeflateExtension({ role: 'server', params, compressor: zlibCompressor(), threshold: 0, level });
  let total = 0;
  for (let i = 0; i < 32; i++) total += (await e.encode(json(i % 8))).length;
  out.wireBytes[level] = total;
  e.dispose();
}
for (const e of [zs, zc, pc]) e.dispose();
console.log('RESULT ' + JSON.stringify(out));
`;

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fw-deflate-runtimes-'));
  await build({
    stdin: {
      contents: [
        "export { createDeflateExtension } from './protocol/deflate-extension.ts';",
        "export { pakoCompressor } from './protocol/deflate-pako.ts';",
        "export { zlibCompressor } from './zlib/index.ts';",
      ].join('\n'),
      resolveDir: join(here, '..', 'src'),
      loader: 'ts',
    },
    outfile: join(dir, 'codec.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    mainFields: ['module', 'main'],
    target: 'es2022',
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'check.mjs'), SCRIPT);
  nodeResult = runCheck('node', process.execPath, []);
});

/** Node's own figures: the reference every runtime's wire bytes are compared with. */
let nodeResult: { wireBytes: Record<string, number> } | undefined;

function runCheck(name: string, command: string, args: string[]) {
  const run = spawnSync(command, [...args, join(dir, 'check.mjs')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, `${name} failed: ${run.stderr}`).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length));
}
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const runtimes: Array<[string, string, string[]]> = [
  ['node', process.execPath, []],
  ['deno', bin('deno'), ['run', '--allow-read', '--allow-env']],
  ['bun', bin('bun'), []],
];

describe.each(runtimes)('%s', (name, command, args) => {
  if (!existsSync(command)) peerMissing(it, `${name} (${command}): install the workspace's devDependencies`);
  it.skipIf(!existsSync(command))('runs the node:zlib engine unchanged', () => {
    const result = runCheck(name, command, args);
    expect(result).toEqual({
      first: 'f2 48 cd c9 c9 07 00',
      second: 'f2 00 11 00 00',
      roundTrips: 20,
      bfinal: 'Hello',
      afterBfinal: 'Hello',
      bombBytes: expect.any(Number),
      bomb: 'FW_ERR_MESSAGE_TOO_BIG 1009',
      corrupt: 'FW_ERR_DECOMPRESSION 1007',
      wireBytes: { 1: expect.any(Number), 6: expect.any(Number) },
    });
    expect(result.bombBytes).toBeLessThan(8 * 1024);
    // The same settings give the same bytes on the wire as Node, within 2%
    // at level 1 (engine-level.ts) and 10% at level 6.
    const reference = nodeResult!.wireBytes;
    expect(Math.abs(result.wireBytes[1] / reference['1']! - 1), JSON.stringify({ [name]: result.wireBytes, node: reference })).toBeLessThan(0.02);
    expect(Math.abs(result.wireBytes[6] / reference['6']! - 1)).toBeLessThan(0.1);
  });
});
