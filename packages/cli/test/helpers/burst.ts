// `serve --shared` under a burst: `seq` writes chunks of hundreds of lines,
// each published as one batch; a client that negotiated permessage-deflate
// (its lines go one by one through its own deflate) and a plain one must
// both get every line, in order, then the unterminated, non-ASCII last line.
import { expect } from 'vitest';
import { record } from './client.js';
import { startCli } from './cli.js';

const LINES = 20_000;

/** Run the burst check against `framewire serve [runtimeFlags] --shared`. */
export async function burstReachesEveryClient(runtimeFlags: readonly string[]): Promise<void> {
  const cli = await startCli(['serve', ...runtimeFlags, '--port', '0', '--shared', '--', 'sh', '-c', `read go; seq 1 ${LINES}; printf 'last é'`]);
  const deflated = await record(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: true });
  const plain = await record(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: false });
  expect(deflated.session.extensions).toContain('permessage-deflate');
  expect(plain.session.extensions).toBe('');
  deflated.session.send('go');
  const expected = [...Array.from({ length: LINES }, (_, i) => String(i + 1)), 'last é'];
  for (const client of [deflated, plain]) {
    await client.received(LINES + 1);
    // The program's exit notice may follow; the lines come first, exactly.
    expect(client.messages.slice(0, LINES + 1)).toEqual(expected);
    client.session.close(1000);
  }
}
