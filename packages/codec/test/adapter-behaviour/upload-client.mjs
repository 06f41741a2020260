// The client half of the bounded-memory upload scenario, in its own Node
// process (streaming.suite.ts), for runtimes whose server runs in the test
// process: then only the server's memory is measured there.
//   node upload-client.mjs NODE_ADAPTER_ENTRY URL MIB
// Sends MIB pieces of 1 MiB (uploadPiece in streaming.suite.ts, made here
// the same way) as one message; prints `SHA256 <hex>` and `ANSWER <text>`.
import { createHash } from 'node:crypto';
import process from 'node:process';

const MiB = 1024 * 1024;
const [entry, url, mib] = process.argv.slice(2);
const { connect } = await import(entry);
setTimeout(() => {
  process.stdout.write('timeout\n');
  process.exit(2);
}, 170_000).unref();

const block = new Uint8Array(MiB);
let x = 0x9e3779b1;
for (let i = 0; i < block.length; i++) {
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  block[i] = x & 0xff;
}
const client = await connect(url);
const answer = new Promise((resolve) => client.once('message', (data) => resolve(String(data))));
const hash = createHash('sha256');
const pieces = Number(mib);
for (let i = 0; i < pieces; i++) {
  const piece = block.slice();
  const view = new DataView(piece.buffer);
  view.setUint32(0, i);
  view.setUint32(MiB - 4, i);
  hash.update(piece);
  if (!client.send(piece, { binary: true, fin: i === pieces - 1 })) await client.drained();
}
process.stdout.write(`SHA256 ${hash.digest('hex')}\n`);
process.stdout.write(`ANSWER ${await answer}\n`);
client.close(1000);
await client.closed;
