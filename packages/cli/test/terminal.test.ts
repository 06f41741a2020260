// `framewire connect` used as a person would, in a real terminal: tmux runs
// it in a pane, the test types (with line editing: Ctrl-A, Backspace) and
// ends with Ctrl-D, then reads the screen. A missing tmux fails the run
// (FRAMEWIRE_ALLOW_SKIP=1 skips).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { record } from './helpers/client.js';
import { BIN, startCli, stopAll, waitFor } from './helpers/cli.js';

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasTmux) peerMissing(it, 'tmux (apt-get install tmux): the interactive connect test');

// A tmux server of our own (-L), so the test never touches a user's sessions.
const socket = `framewire-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'fw');
const cursorX = (): number => Number(tmux('display-message', '-p', '-t', 'fw', '#{cursor_x}').trim());
/**
 * Press one key and wait until the cursor has moved where it should: keys
 * that reach Node's readline in one read are taken as a paste, which does not
 * honour the cursor, so each key waits for the previous one to be drawn.
 */
async function press(key: string, literal: boolean, expectedX: (before: number) => number): Promise<void> {
  const before = cursorX();
  tmux('send-keys', '-t', 'fw', ...(literal ? ['-l'] : []), key);
  await waitFor(() => cursorX() === expectedX(before), 5000, `the cursor after ${JSON.stringify(key)}:\n${screen()}`);
}
async function type(text: string): Promise<void> {
  for (const char of text) await press(char, true, (before) => before + 1);
}

afterEach(async () => {
  spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  await stopAll();
});

describe.skipIf(!hasTmux)('connect in a terminal (tmux)', () => {
  it('line editing, > and < markers, Ctrl-D closes with 1000 and exits 0', async () => {
    const cli = await startCli(['serve', '--port', '0', '--shared', '--', 'cat']);
    const watcher = await record(`ws://127.0.0.1:${cli.port}/`);
    const command = `${process.execPath} ${BIN} connect ws://127.0.0.1:${cli.port}/; echo EXIT=$?; sleep 60`;
    tmux('new-session', '-d', '-s', 'fw', '-x', '100', '-y', '20', command);
    // capture-pane drops trailing spaces: the bare prompt reads ">".
    await waitFor(() => /^>/m.test(screen()), 10_000, 'the prompt');
    // Type "world", jump to the start (Ctrl-A), type "hello ", Enter.
    await type('world');
    await press('C-a', false, () => 2); // just after the "> " prompt
    await type('hello ');
    tmux('send-keys', '-t', 'fw', 'Enter');
    await watcher.received(1);
    expect(watcher.messages[0]).toBe('hello world');
    // A typo fixed with Backspace.
    await type('abcX');
    await press('BSpace', false, (before) => before - 1);
    tmux('send-keys', '-t', 'fw', 'Enter');
    await watcher.received(2);
    expect(watcher.messages[1]).toBe('abc');
    // What another client sends shows up with the < marker.
    watcher.session.send('from elsewhere');
    await waitFor(() => screen().includes('< from elsewhere'), 10_000, `the incoming line:\n${screen()}`);
    // Ctrl-D on an empty line: close 1000, exit 0.
    tmux('send-keys', '-t', 'fw', 'C-d');
    await waitFor(() => screen().includes('EXIT='), 10_000, `the exit:\n${screen()}`);
    const text = screen();
    expect(text).toContain('> hello world');
    expect(text).toContain('< hello world');
    expect(text).toContain('closed 1000');
    expect(text).toContain('EXIT=0');
    watcher.session.close(1000);
  });
});
