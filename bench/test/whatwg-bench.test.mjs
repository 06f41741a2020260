// The WHATWG bench (bench/lib/whatwg-bench.mjs) end to end with a tiny load,
// and the loader its row (a) relies on: a process started with
// bench/servers/no-whatwg.mjs must not be able to load the WHATWG module.
// Needs `pnpm build`. Run: node --test bench/test/
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROWS, runWhatwgBench, whatwgMarkdown } from '../lib/whatwg-bench.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function runWithoutWhatwg(source) {
  return spawnSync(process.execPath, ['--import', join(root, 'bench/servers/no-whatwg.mjs'), '--input-type=module', '-e', source], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('no-whatwg: plain Session servers work, WHATWG shapes and the real module are refused', { timeout: 60_000 }, () => {
  const result = runWithoutWhatwg(`
    import { WebSocketServer, connect } from '@framewire/node-adapter';
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (session) => session.on('message', (data) => session.send(data)));
    const { port } = await server.listen();
    const client = await connect('ws://127.0.0.1:' + port + '/');
    const echoed = new Promise((resolve) => client.on('message', resolve));
    client.send('hi');
    console.log('echo', await echoed);
    client.terminate();
    await server.close({ timeout: 100 });
    try { new WebSocketServer({ shape: 'websocket' }); console.log('shape accepted'); } catch (error) { console.log(error.message.includes('WHATWG module is not loaded') ? 'shape refused' : 'other: ' + error.message); }
    const real = new URL('./packages/codec/dist/whatwg/index.js', 'file://${root}/').href;
    try { await import(real); console.log('module loaded'); } catch (error) { console.log(error.message.includes('no-whatwg:') ? 'module refused' : 'other: ' + error.message); }
    process.exit(0);
  `);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['echo hi', 'shape refused', 'module refused']);
});

test('whatwg bench: one tiny round gives every row a CPU figure and a ratio to its base', { timeout: 300_000 }, async () => {
  const result = await runWhatwgBench({ root, load: { connections: 4, messages: 400, window: 20 }, rounds: 1 });
  const base = Object.fromEntries(result.rows.map((row) => [row.key, row]));
  assert.deepEqual(
    result.rows.map((row) => row.key),
    ROWS.map((row) => row.key),
  );
  for (const row of result.rows) {
    assert.ok(Number.isFinite(row.cpu.median) && row.cpu.median >= 0, `${row.key}: cpu ${row.cpu.median}`);
    assert.ok(row.rate.median > 0, `${row.key}: rate ${row.rate.median}`);
    // (CPU time comes in 10 ms ticks: a tiny run may read 0, and 0/0 is no ratio.)
    if (base[row.base].cpu.median > 0) assert.ok(Number.isFinite(row.ratio) && (row.key !== row.base || row.ratio === 1), `${row.key}: ratio ${row.ratio}`);
  }
  const table = whatwgMarkdown(result);
  for (const row of ROWS) assert.ok(table.includes(`| ${row.label} |`), row.key);
});
