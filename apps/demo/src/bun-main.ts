/**
 * The demo on Bun: `@framewire/bun-adapter`'s server (`Bun.listen`, the
 * codec reads every byte, permessage-deflate included) takes the WebSocket
 * upgrades, and its `fetch` handler serves the page on the same port. Run by
 * `pnpm start --runtime bun`.
 *
 * @module
 */
import process from 'node:process';
import { WebSocketServer } from '@framewire/bun-adapter';
import { startFetchServer } from './fetch-bridge.js';
import { runDemo } from './entry.js';

await runDemo('bun', process.versions['bun'] ?? 'unknown', startFetchServer(WebSocketServer));
