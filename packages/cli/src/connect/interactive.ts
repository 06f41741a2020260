/**
 * `connect` in a terminal: `node:readline` gives line editing and history;
 * what we send shows as `> line` (the prompt), what arrives as `< message`
 * printed above the prompt without losing what is being typed. Ctrl-D on an
 * empty line closes with 1000; Ctrl-C closes with 1000 too.
 *
 * @module
 */
import { clearLine, createInterface, cursorTo } from 'node:readline';
import type { Session } from '@framewire/codec/adapter';

const PROMPT = '> ';

/** Drive `session` from the terminal; resolves with how it closed. */
export function runInteractive(session: Session): Promise<{ code: number; reason: string }> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT, terminal: true, historySize: 1000 });
  let open = true;
  const show = (line: string): void => {
    // Print above the prompt, then redraw the prompt with the half-typed line.
    clearLine(process.stdout, 0);
    cursorTo(process.stdout, 0);
    process.stdout.write(`${line}\n`);
    if (open) rl.prompt(true);
  };
  session.on('message', (data, isBinary) => {
    const text = isBinary ? `[binary ${(data as Uint8Array).byteLength} bytes]` : (data as string);
    show(`< ${text}`);
  });
  rl.on('line', (line) => {
    if (session.readyState === 1) session.send(line);
    rl.prompt();
  });
  rl.on('close', () => {
    open = false;
    session.close(1000);
  });
  rl.on('SIGINT', () => rl.close());
  rl.prompt();
  return session.closed.then((info) => {
    open = false;
    show(`closed ${info.code}${info.reason !== '' ? ` ${info.reason}` : ''}`);
    rl.close();
    // readline keeps stdin in raw mode and referenced until told otherwise.
    process.stdin.pause();
    return info;
  });
}
