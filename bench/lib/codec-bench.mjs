// Runs the codec micro-benchmark (packages/codec/bench/codec.bench.mjs,
// written beside the codec) as a child process and keeps its output. It may
// also write machine-readable ratios to the file named by FW_BENCH_JSON:
//   { "rows": [ { "op": "decode" | "encode", "size": 16, "peer": "ws" | "ws+bufferutil",
//                 "ratio": 2.4, "masked": true } ] }
// (ratio = framewire ÷ peer throughput). Without that file the targets that
// depend on it show n/a and the output is shown as printed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, stopChild } from './children.mjs';

/**
 * @param {string} root
 * @param {{ quick: boolean, timeoutMs: number }} opts
 */
export async function runCodecBench(root, { quick, timeoutMs }) {
  const script = join(root, 'packages', 'codec', 'bench', 'codec.bench.mjs');
  if (!existsSync(script)) return { status: 'absent', output: '', rows: [] };
  const dir = mkdtempSync(join(tmpdir(), 'fw-codec-bench-'));
  const jsonPath = join(dir, 'codec.json');
  const env = { ...process.env, FW_BENCH_JSON: jsonPath, ...(quick ? { FW_BENCH_QUICK: '1' } : {}) };
  const args = [script, ...(quick ? ['--quick'] : [])];
  const handle = startChild({ command: process.execPath, args, env, cwd: join(root, 'packages', 'codec') });
  // Keep the whole report, not only the tail startChild keeps.
  let output = '';
  handle.child.stdout.on('data', (chunk) => {
    if (output.length < 60_000) output += chunk.toString('utf8');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stopChild(handle, 500);
  }, timeoutMs);
  const { code } = await handle.exited;
  clearTimeout(timer);
  let rows = [];
  try {
    const parsed = JSON.parse(readFileSync(jsonPath, 'utf8'));
    if (Array.isArray(parsed.rows)) rows = parsed.rows;
  } catch {
    // no machine-readable ratios: targets show n/a
  }
  rmSync(dir, { recursive: true, force: true });
  const status = timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed';
  return { status, output: output || handle.output.stdout, stderr: handle.output.stderr, rows };
}
