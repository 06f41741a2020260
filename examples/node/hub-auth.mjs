import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { connect } from '@framewire/node-adapter';

const secret = 'a-long-random-secret-shared-with-your-backend';

// Your backend signs an HS256 JWT with per-topic rights (any JWT library does; node:crypto here).
function sign(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const token = sign({
  exp: Math.floor(Date.now() / 1000) + 3600,
  permissions: { 'room.*': { subscribe: true, publish: true }, announcements: { subscribe: true } },
});

// The secret goes in through the environment, so it does not show in `ps`.
const bin = new URL('../../packages/cli/bin/framewire.mjs', import.meta.url).pathname;
const env = { ...process.env, FRAMEWIRE_HUB_SECRET: secret };
const hub = spawn(process.execPath, [bin, 'hub', '--port', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env });
let log = '';
const port = await new Promise((resolve) => {
  hub.stderr.on('data', (chunk) => {
    log += chunk;
    if (/^READY$/m.test(log)) resolve(Number(/127\.0\.0\.1:(\d+)\//.exec(log)[1]));
  });
});
const base = `127.0.0.1:${port}`;
const post = (path, headers = {}) => fetch(`http://${base}${path}`, { method: 'POST', body: 'hi', headers: { 'Content-Type': 'text/plain', ...headers } });
const auth = { Authorization: `Bearer ${token}` };

console.log('no token:', (await post('/topics/room.1')).status);
console.log('with token:', (await post('/topics/room.1', auth)).status);
console.log('no publish right:', (await post('/topics/announcements', auth)).status);

// A browser cannot set Authorization on a WebSocket: it trades the JWT for a one-time ticket.
const { ticket, expiresIn } = await (await post('/tickets', auth)).json();
console.log('ticket valid for', expiresIn, 's');
const ws = await connect(`ws://${base}/topics/room.1?ticket=${ticket}`);
console.log('subscribed with the ticket');
ws.close();
try {
  await connect(`ws://${base}/topics/room.1?ticket=${ticket}`);
} catch (error) {
  console.log('same ticket again:', error.status);
}
hub.kill('SIGTERM');
