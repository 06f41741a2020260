import { spawn } from 'node:child_process';
import { connect } from '@framewire/node-adapter';

// Start `framewire hub --port 0` (as `npx framewire hub` would) and read its port from stderr.
const bin = new URL('../../packages/cli/bin/framewire.mjs', import.meta.url).pathname;
const hub = spawn(process.execPath, [bin, 'hub', '--port', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const port = await new Promise((resolve) => {
  hub.stderr.on('data', (chunk) => {
    log += chunk;
    if (/^READY$/m.test(log)) resolve(Number(/127\.0\.0\.1:(\d+)\//.exec(log)[1]));
  });
});
const base = `127.0.0.1:${port}`;
const publish = (text) =>
  fetch(`http://${base}/topics/news`, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } }).then((r) => r.json());
const next = (ws) => new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(data))));

// A framewire.v1 subscriber gets each message in an envelope with its id.
const reader = await connect(`ws://${base}/topics/news`, { protocols: ['framewire.v1'] });
const first = next(reader);
console.log('POST ->', await publish('hello'));
const seen = await first;
console.log('got', seen);
reader.close();

// Published while the reader is away...
await publish('missed one');
await publish('missed two');

// ...and replayed when it comes back with ?since=<last id seen>.
const back = await connect(`ws://${base}/topics/news?since=${seen.id}`, { protocols: ['framewire.v1'] });
const replay = [];
await new Promise((resolve) =>
  back.on('message', (data) => {
    replay.push(JSON.parse(data));
    if (replay.length === 2) resolve();
  }),
);
console.log('replayed', replay.map((m) => `${m.id}:${m.data}`).join(', '));
back.close();

const history = await fetch(`http://${base}/topics/news/history?limit=10`).then((r) => r.json());
console.log('history', history.map((m) => m.data));
hub.kill('SIGTERM');
