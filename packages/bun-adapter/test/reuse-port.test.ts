// `reusePort: true`: two servers (as two processes would) listen on one port
// with SO_REUSEPORT and both serve WebSockets; without it the second is refused.
import { describe, expect, it } from 'bun:test';
import { WebSocketServer, connect } from '../src/index.js';

describe('reusePort', () => {
  it('lets a second server listen on the same port; without it listen() rejects', async () => {
    const first = new WebSocketServer({ port: 0, reusePort: true });
    const { port } = await first.listen();
    const second = new WebSocketServer({ port, reusePort: true });
    const plain = new WebSocketServer({ port });
    try {
      expect((await second.listen()).port).toBe(port);
      await expect(plain.listen()).rejects.toThrow();
      // Both accept: each counts the connections the kernel gave it, and together they got all of them.
      for (const server of [first, second]) server.on('connection', (session) => session.send('hi'));
      const sessions = [];
      for (let i = 0; i < 8; i++) {
        const session = await connect(`ws://127.0.0.1:${port}/`);
        await new Promise((resolve) => session.once('message', resolve));
        sessions.push(session);
      }
      expect(first.connectionCount + second.connectionCount).toBe(8);
      for (const session of sessions) session.close(1000);
    } finally {
      await Promise.all([first.close({ timeout: 1000 }), second.close({ timeout: 1000 }), plain.close({ timeout: 1000 })]);
    }
  });
});
