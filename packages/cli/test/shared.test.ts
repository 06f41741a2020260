// `framewire serve --shared`: one program, every client.
import { connect } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './helpers/client.js';
import { startCli, stopAll, waitFor } from './helpers/cli.js';
import { burstReachesEveryClient } from './helpers/burst.js';

afterEach(stopAll);

const url = (port: number): string => `ws://127.0.0.1:${port}/`;

describe('serve --shared', () => {
  it('broadcasts each stdout line to every client and multiplexes client lines onto stdin (--tag)', async () => {
    const cli = await startCli(['serve', '--port', '0', '--shared', '--tag', '--', 'cat']);
    const a = await record(url(cli.port));
    const b = await record(url(cli.port));
    a.session.send('from a');
    await a.received(1);
    b.session.send('from b');
    await a.received(2);
    await b.received(2);
    expect(a.messages).toEqual(['1\tfrom a', '2\tfrom b']);
    expect(b.messages).toEqual(['1\tfrom a', '2\tfrom b']);
    a.session.close(1000);
    await a.closed;
    // The program lives on for the others.
    b.session.send('still here');
    await b.received(3);
    expect(b.messages[2]).toBe('2\tstill here');
  });

  it('every line of a long burst (stdout chunks of many lines, one batch each) reaches a deflate client and a plain client, in order', async () => {
    await burstReachesEveryClient([]);
  });

  it('a slow client is closed with 1008 while the others keep receiving', async () => {
    // About 10 MB/s in 1000-byte lines: more than a stalled client's socket buffers hold for long.
    const cli = await startCli([
      'serve', '--port', '0', '--shared', '--no-deflate', '--client-queue', '65536', '--',
      'sh', '-c', 'while :; do head -c 200000 /dev/zero | tr "\\0" x | fold -w 1000; sleep 0.02; done',
    ]);
    // The slow one stops reading after its first message (its receive window stays shut).
    const slow = await connect(url(cli.port), { perMessageDeflate: false, receiveHighWaterMessages: 1, receiveHighWaterBytes: 1 });
    slow.on('message', () => new Promise(() => {}));
    const fast = await connect(url(cli.port), { perMessageDeflate: false });
    let fastCount = 0;
    fast.on('message', () => void fastCount++);
    // The server closes it with 1008 (a client that does not read cannot see that close frame;
    // the server drops the socket after its close timeout).
    await waitFor(() => /\[1\] too slow \(\d+ bytes queued\): closing with 1008/.test(cli.stderr()), 30_000, `the slow client's 1008\n${cli.stderr()}`);
    const atClose = fastCount;
    await waitFor(() => fastCount > atClose + 500, 10_000, 'the fast client to keep receiving');
    expect(fast.readyState).toBe(1);
    fast.close(1000);
    slow.terminate();
  });

  it('restarts a program that dies, with a notice to every client', async () => {
    const cli = await startCli(['serve', '--port', '0', '--shared', '--', 'sh', '-c', 'read line; echo "got $line"; exit 4']);
    const client = await record(url(cli.port));
    client.session.send('one');
    await client.received(2);
    expect(client.messages[0]).toBe('got one');
    expect(client.messages[1]).toMatch(/^framewire: program exited \(exit 4\); restarting in \d+ ms$/);
    // The next program answers the next line.
    client.session.send('two');
    await client.received(4);
    expect(client.messages[2]).toBe('got two');
    expect(client.session.readyState).toBe(1);
    client.session.close(1000);
  });
});
