// One receiving client of the CLI line-rate benchmark, in its own process so
// that clients do not share a CPU-bound event loop with each other.
//   node line-client.mjs URL COUNT SEND_GO(0|1)
// Connects, prints "ready", waits for a line on stdin, then (when SEND_GO is
// 1) sends "go"; counts messages that are not restart notices until COUNT
// arrived, prints "done", closes and exits.
import { connect } from '@framewire/node-adapter';

const [url, countText, sendGo] = process.argv.slice(2);
const count = Number(countText);
const ws = await connect(url, { perMessageDeflate: false });
let received = 0;
let finished = false;
ws.on('message', (data) => {
  if (finished || (typeof data === 'string' && data.startsWith('framewire: '))) return;
  if (++received === count) {
    finished = true;
    process.stdout.write('done\n');
    ws.close(1000);
  }
});
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  if (sendGo === '1') ws.send('go');
});
await ws.closed;
process.exit(finished ? 0 : 1);
