// Issue 17: SIGTERM to node_modules/.bin/deno or .bin/bun must stop the
// runtime itself. npm's deno wrapper ran deno with spawnSync and forwarded no
// signal, so a supervisor that stopped the wrapper left deno serving as an
// orphan (fixed by patches/deno@2.9.6.patch); bun's shim execs the binary.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');

/** Pids of live (non-zombie) processes whose command line contains `marker`. */
function processesWith(marker) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
      if (cmdline.includes(marker) && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

async function waitFor(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

for (const [name, args] of [
  ['deno', (script) => ['run', '--allow-net=127.0.0.1', script]],
  ['bun', (script) => ['run', script]],
]) {
  test(`SIGTERM to node_modules/.bin/${name} leaves no ${name} process behind`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `fw-wrapper-${name}-`));
    const script = join(dir, 'serve.ts');
    // A server keeps the runtime alive until a signal ends it.
    writeFileSync(
      script,
      name === 'deno'
        ? "Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => console.log('READY') }, () => new Response('x'));\n"
        : "Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('x') }); console.log('READY');\n",
    );
    const wrapper = spawn(join(root, 'node_modules', '.bin', name), args(script), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    wrapper.stdout.on('data', (chunk) => (out += chunk));
    try {
      assert.ok(await waitFor(() => out.includes('READY'), 20_000), `${name} did not start: ${out}`);
      assert.ok(processesWith(script).length >= 1, 'the runtime is running');
      const exited = new Promise((r) => wrapper.once('exit', (code, signal) => r({ code, signal })));
      wrapper.kill('SIGTERM');
      const result = await exited;
      assert.ok(result.signal === 'SIGTERM' || result.code !== 0, `the wrapper reported the signal (${JSON.stringify(result)})`);
      assert.ok(await waitFor(() => processesWith(script).length === 0, 5000), `left running: ${processesWith(script).join(', ')}`);
    } finally {
      for (const pid of processesWith(script)) process.kill(pid, 'SIGKILL');
    }
  });
}
