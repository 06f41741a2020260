// `pnpm start`: the framewire demo on 127.0.0.1:8080 (PORT and HOST env
// override): a chat page served by the same Node server, a broadcast
// WebSocket server at /chat and an echo endpoint at /echo. Runs the built
// node adapter (packages/node-adapter/dist), building the packages first
// when dist is missing (a fresh clone right after `pnpm install`). Ctrl-C or
// SIGTERM closes gracefully: every WebSocket gets 1001 and its close
// handshake is awaited (up to 2 s) before the process exits.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ensureBuilt, root } from './echo-server.mjs';

ensureBuilt();
const adapter = await import(pathToFileURL(join(root, 'packages/node-adapter/dist/index.js')).href);
const { startChatDemo } = await import(pathToFileURL(join(root, 'packages/node-adapter/examples/chat/chat-server.mjs')).href);

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
let demo;
try {
  demo = await startChatDemo(adapter, { host, port, log: (line) => console.log(line) });
} catch (error) {
  console.error(`could not start the demo on ${host}:${port}: ${error.message}`);
  process.exit(1);
}
console.log(`framewire demo: ${demo.url}  (chat WebSocket ${demo.url.replace('http', 'ws')}chat, echo ${demo.url.replace('http', 'ws')}echo)`);
console.log('Ctrl-C to stop');

let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: closing ${demo.chat.connectionCount + demo.echo.connectionCount} connection(s) with 1001...`);
  await demo.close(2000);
  console.log('closed');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
