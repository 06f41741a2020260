// Runs the codec micro-benchmark (packages/codec/bench/codec.bench.mjs,
// written beside the codec) as a child process and keeps its output. It may
// also write machine-readable ratios to the file named by FW_BENCH_JSON:
//   { "rows": [ { "op": "decode" | "encode", "size": 16, "peer": "ws" | "ws+bufferutil",
//                 "ratio": 2.4, "masked": true } ] }
// (ratio = framewire ÷ peer throughput). Without that file the ratios are
// read from its printed tables (parsePrintedRatios); failing both, the
// targets that depend on it show n/a. The output is always shown as printed.
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
  if (rows.length === 0) rows = parsePrintedRatios(output);
  const status = timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed';
  return { status, output: output || handle.output.stdout, stderr: handle.output.stderr, rows };
}

const UNITS = { B: 1, KiB: 1024, MiB: 1024 * 1024 };

/**
 * Reads ratios from the codec benchmark's text tables: a section line
 * "ws WITH bufferutil" / "ws WITHOUT bufferutil", then rows like
 * "decode masked 16 B   812   301   2.70x" or "encode masked 1 KiB (one buffer) ...".
 * Rows with a suffix after the size are variants and are left out.
 * @param {string} output
 */
export function parsePrintedRatios(output) {
  const rows = [];
  let peer;
  for (const line of output.split('\n')) {
    if (/^ws WITHOUT bufferutil/i.test(line)) peer = 'ws';
    else if (/^ws WITH bufferutil/i.test(line)) peer = 'ws+bufferutil';
    const match = /^(decode|encode) (masked|unmasked) ([\d.]+) (B|KiB|MiB)\s+[\d.]+\s+[\d.]+\s+([\d.]+)x\s*$/.exec(line.trim());
    if (match === null || peer === undefined) continue;
    const [, op, masking, amount, unit, ratio] = match;
    rows.push({ op, size: Number(amount) * UNITS[unit], peer, ratio: Number(ratio), masked: masking === 'masked' });
  }
  return rows;
}
