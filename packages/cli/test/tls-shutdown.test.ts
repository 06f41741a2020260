// wss:// with --cert/--key (checked by the CLI's own `connect --ca`), and a
// graceful stop: SIGTERM closes every client with 1001 and stops every program.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './helpers/client.js';
import { processAlive, programsOf, runCli, startCli, stopAll, waitFor } from './helpers/cli.js';

afterEach(stopAll);

/** A throw-away self-signed certificate for 127.0.0.1 (the system's openssl; Node has no generator). */
function makeCert(): { certPath: string; keyPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fw-cli-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  return { certPath, keyPath };
}

describe('serve over TLS and shutdown', () => {
  it('--cert/--key serve wss://; HTTPS=on reaches the program; connect --ca trusts the certificate', async () => {
    const { certPath, keyPath } = makeCert();
    const cli = await startCli(['serve', '--port', '0', '--cert', certPath, '--key', keyPath, '--', 'sh', '-c', 'echo "https=$HTTPS"']);
    expect(cli.stderr()).toMatch(/on wss:\/\/127\.0\.0\.1:\d+\//);
    const trusted = await runCli(['connect', '--ca', certPath, `wss://127.0.0.1:${cli.port}/`], null);
    expect(trusted).toMatchObject({ code: 0, stdout: 'https=on\n' });
    const untrusted = await runCli(['connect', `wss://127.0.0.1:${cli.port}/`]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/\[FW_ERR_TLS\]\n$/);
  });

  it('SIGTERM: every client gets 1001, every program is stopped, exit 0', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo $$; exec cat']);
    const a = await record(`ws://127.0.0.1:${cli.port}/`);
    const b = await record(`ws://127.0.0.1:${cli.port}/`);
    await a.received(1);
    await b.received(1);
    const pids = [Number(a.messages[0]), Number(b.messages[0])];
    expect(programsOf(cli.process.pid!)).toHaveLength(2);
    const exitCode = cli.stop();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(await exitCode).toBe(0);
    await waitFor(() => pids.every((pid) => !processAlive(pid)), 5000, 'the programs to stop');
  });
});

describe('heartbeat', () => {
  it('--heartbeat S: a client that never answers pings is dropped', async () => {
    const { createConnection } = await import('node:net');
    const cli = await startCli(['serve', '--port', '0', '--heartbeat', '0.2', '--', 'cat']);
    // A raw client: a valid upgrade, then silence: it reads what comes but never answers a ping.
    const socket = createConnection(cli.port, '127.0.0.1');
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.resume();
    await waitFor(() => /\[1\] disconnect 1006/.test(cli.stderr()), 10_000, `the dead peer to be dropped\n${cli.stderr()}`);
    await ended;
  });
});
