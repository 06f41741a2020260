// Deno's built-in WebSocket server (Deno.serve + Deno.upgradeWebSocket):
// echoes every message with its type. It has no permessage-deflate.
// Usage: deno run --allow-net bench/servers/deno-serve.mjs --port N   (prints READY)
const port = Number(Deno.args[Deno.args.indexOf('--port') + 1]);

Deno.serve({ hostname: '127.0.0.1', port, onListen: () => console.log('READY') }, (request) => {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('Upgrade Required', { status: 426 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = 'arraybuffer';
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
