// WebSocket over a child process's stdio: the child serves WebSocket on its
// stdin/stdout, the parent speaks to it through the pipes. No TCP anywhere:
// `streamTransport` runs the codec over any Web Streams byte pair.
import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { acceptWebSocket, connectWebSocket } from '@framewire/codec/session';
import { nodeScheduler, streamTransport, toWebSocket } from '@framewire/node-adapter';

/** Both sides: a Transport over a readable and a writable Node stream. */
const pipes = (input, output) => streamTransport({ readable: Readable.toWeb(input), writable: Writable.toWeb(output) });

if (process.argv[2] === 'child') {
  // The child: a WebSocket server on stdin/stdout (stdout carries frames, so no console.log here).
  const transport = pipes(process.stdin, process.stdout);
  const upgrade = acceptWebSocket(transport, { scheduler: nodeScheduler });
  transport.attach(upgrade);
  const result = await upgrade.result;
  if (result.type !== 'accepted') process.exit(1);
  const ws = toWebSocket(result.session); // browser-style code, over a pipe
  ws.onmessage = (event) => ws.send(`child got: ${event.data}`);
  ws.onclose = () => process.exit(0);
} else {
  const child = spawn(process.execPath, [process.argv[1], 'child'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const transport = pipes(child.stdout, child.stdin);
  const upgrade = connectWebSocket(transport, { url: 'ws://child/', scheduler: nodeScheduler });
  transport.attach(upgrade);
  const session = await upgrade.session;
  session.send('hello over stdio');
  for await (const message of session) {
    console.log(message); // child got: hello over stdio
    session.close(1000);
  }
  console.log('closed', (await session.closed).code); // closed 1000
}
