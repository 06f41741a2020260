// Machine and peer versions printed with every result, since ratios only
// mean something next to what produced them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

function firstLine(command, args) {
  if (command === undefined) return 'not installed';
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return (run.stdout || run.stderr || '').split('\n')[0].trim() || 'unknown';
}

function packageVersion(root, name) {
  try {
    const require = createRequire(join(root, 'package.json'));
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** @param {string} root @param {{ bun?: string, deno?: string }} binaries */
export function machineInfo(root, binaries) {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((value) => value.toFixed(2)).join(' '),
    node: process.version,
    ws: packageVersion(root, 'ws'),
    bufferutil: packageVersion(root, 'bufferutil'),
    bun: firstLine(binaries.bun, ['--version']),
    deno: firstLine(binaries.deno, ['--version']).replace(/^deno\s+/, ''),
  };
}
