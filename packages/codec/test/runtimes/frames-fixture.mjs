// Loaded unchanged by Node, Deno and Bun: encodes a fixed set of frames and
// decodes them again with the BUILT package, then prints one JSON line.
// runtimes.test.ts compares the three outputs byte for byte.
import { FrameDecoder, encodeFrameToBuffer } from '../../dist/protocol/index.js';

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const text = new TextEncoder().encode('Hello, framewire ✓');
const sizes = [0, 1, 125, 126, 65535, 65536, 70000];
const frames = [];
for (const size of sizes) {
  const payload = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
  frames.push(encodeFrameToBuffer({ opcode: 0x2, payload }));
  frames.push(encodeFrameToBuffer({ opcode: 0x2, payload, maskKey: key }));
}
frames.push(encodeFrameToBuffer({ opcode: 0x1, payload: text, fin: false, maskKey: key }));
frames.push(encodeFrameToBuffer({ opcode: 0x9, payload: text.subarray(0, 5), maskKey: key }));
frames.push(encodeFrameToBuffer({ opcode: 0x0, payload: text, rsv1: false, maskKey: key }));
frames.push(encodeFrameToBuffer({ opcode: 0x8, payload: new Uint8Array([0x03, 0xe8]) }));

// Decode the masked frames as a server would, fed in 1000-byte chunks.
const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1 << 20 });
const masked = frames.filter((f) => (f[1] & 0x80) !== 0);
const all = new Uint8Array(masked.reduce((n, f) => n + f.length, 0));
let offset = 0;
for (const f of masked) { all.set(f, offset); offset += f.length; }
const decoded = [];
for (let i = 0; i < all.length; i += 1000) {
  decoder.push(all.slice(i, i + 1000));
  for (let r = decoder.read(); r !== undefined; r = decoder.read()) {
    decoded.push(r.type === 'frame' ? `${r.frame.opcode}:${r.frame.fin}:${hex(r.frame.payload).slice(0, 64)}:${r.frame.payload.length}` : r.type);
  }
}
console.log(JSON.stringify({ frames: frames.map(hex), decoded }));
