// Bun's built-in WebSocket server (Bun.serve, uWebSockets inside): echoes
// every message with its type. permessage-deflate with a dedicated compressor
// per connection, i.e. server context takeover like ws (a shared compressor
// would force server_no_context_takeover); used only when the client offers it.
// Usage: bun bench/servers/bun-serve.mjs --port N   (prints READY)
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);

Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    maxPayloadLength: 64 * 1024 * 1024,
    perMessageDeflate: { compress: 'dedicated', decompress: 'dedicated' },
    message(socket, message) {
      // `true` asks for compression; Bun ignores it when deflate was not negotiated.
      socket.send(message, true);
    },
  },
});
console.log('READY');
process.on('SIGTERM', () => process.exit(0));
