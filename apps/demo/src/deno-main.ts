/**
 * The demo on Deno: `@framewire/deno-adapter`'s raw-TCP server (`Deno.listen`,
 * the codec reads every byte, permessage-deflate included) takes the
 * WebSocket upgrades, and its `fetch` handler serves the page on the same
 * port. Run by `pnpm start --runtime deno`.
 *
 * @module
 */
import process from 'node:process';
import { WebSocketServer } from '@framewire/deno-adapter';
import { startFetchServer } from './fetch-bridge.js';
import { runDemo } from './entry.js';

await runDemo('deno', process.versions['deno'] ?? 'unknown', startFetchServer(WebSocketServer));
