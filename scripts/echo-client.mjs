// `pnpm echo-client --runtime node|deno|bun URL [--ca PATH] [--send TEXT [--count N]]`
//
// Dispatcher for the echo client every runtime provides (the root README's
// "Entry points"): runs the runtime's echo client script as a
// child process, stdout passed through, and exits with its code (0 after a
// clean close, non-zero after a failed handshake or connection). `--ca PATH`
// trusts an extra certificate for wss:// (the one `echo-server --tls` prints).
// `--send TEXT [--count N]` makes it speak first, print the replies and close
// with 1000 after the last one.
import { parseArgs } from 'node:util';
import { ensureBuilt, runChild, runtimeCommand } from './echo-server.mjs';

const { values, positionals } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'node' },
    ca: { type: 'string' },
    send: { type: 'string' },
    count: { type: 'string' },
  },
  allowPositionals: true,
  strict: true,
});
const url = positionals[0];
if (url === undefined || positionals.length > 1) {
  console.error('usage: pnpm echo-client --runtime node|deno|bun ws://127.0.0.1:PORT/path [--ca cert.pem] [--send TEXT [--count N]]');
  process.exit(2);
}
const command = runtimeCommand(values.runtime, 'echo-client');
const args = [...command.args, url];
if (values.ca !== undefined) args.push('--ca', values.ca);
if (values.send !== undefined) args.push('--send', values.send);
if (values.count !== undefined) args.push('--count', values.count);
ensureBuilt(command.folder);
runChild(command.executable, args);
