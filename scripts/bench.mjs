// `pnpm bench [--quick] [--servers ws-bu,bun-serve,...] [--skip-codec] [--skip-memory] [--skip-echo] [--skip-fanout] [--skip-whatwg] [--skip-cli] [--skip-brokers]`
// `pnpm bench --http2`: 1,000 WebSockets over one HTTP/2 connection against
// 1,000 over HTTP/1.1 (bench/http2-vs-http1.mjs), nothing else.
// Echo, idle-memory, permessage-deflate and topic fan-out benchmarks of
// framewire beside ws, Bun's and Deno's built-in servers, plus the codec
// micro-benchmark. Writes bench/results/latest.md and latest.svg. See
// bench/README.md. The paired WHATWG-shape rows (Session vs WebSocket vs
// WebSocketStream) go to bench/results/whatwg-latest.md.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { runBrokerLatency } from '../bench/broker-latency.mjs';
import { runCliBench } from '../bench/cli/cli-bench.mjs';
import { runBenchmarks } from '../bench/lib/runner.mjs';
import { runWhatwgBench, whatwgMarkdown } from '../bench/lib/whatwg-bench.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};
if (argv.includes('--help')) {
  console.log('usage: pnpm bench [--quick] [--servers key,key] [--skip-codec] [--skip-memory] [--skip-echo] [--skip-fanout] [--skip-whatwg] [--skip-cli] [--skip-brokers] | pnpm bench --http2');
  console.log('server keys: fw-node fw-node-l6 fw-bun fw-deno fw-deno-serve ws ws-bu bun-serve deno-serve floor-node floor-bun floor-deno');
  process.exit(0);
}
if (argv.includes('--http2') && process.platform === 'linux') {
  const { runHttp2Bench } = await import('../bench/http2-vs-http1.mjs');
  await runHttp2Bench();
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.error('pnpm bench reads /proc for CPU time and memory: it runs on Linux only.');
  process.exit(1);
}
try {
  const results = await runBenchmarks({
    root,
    quick: argv.includes('--quick'),
    only: option('servers')?.split(','),
    skipCodec: argv.includes('--skip-codec'),
    skipMemory: argv.includes('--skip-memory'),
    skipEcho: argv.includes('--skip-echo'),
    skipFanout: argv.includes('--skip-fanout'),
  });
  // framewire serve beside websocketd (bench/cli/cli-bench.mjs, report in bench/results/cli.md).
  if (!argv.includes('--skip-cli')) results.targets.push(...(await runCliBench({ root, quick: argv.includes('--quick') })).targets);
  for (const target of results.targets) {
    const mark = target.verdict === 'pass' ? '✅' : target.verdict === 'fail' ? '❌' : 'n/a';
    const value = target.ratio === undefined ? `n/a (${target.why})` : `${target.ratio.toFixed(2)}×`;
    console.log(`${mark.padEnd(3)} ${target.group.padEnd(5)} ${target.label} ${target.compare === 'le' ? '≤' : '≥'} ${target.threshold}×: ${value}`);
  }
  if (!argv.includes('--skip-whatwg')) {
    const table = whatwgMarkdown(await runWhatwgBench({ root, quick: argv.includes('--quick') }));
    writeFileSync(join(root, 'bench', 'results', 'whatwg-latest.md'), `${table}\n`);
    console.log(`\n${table}`);
  }
  // Cross-process latency through Redis and NATS (bench/broker-latency.mjs): figures only, no target.
  if (!argv.includes('--skip-brokers')) {
    const { report } = await runBrokerLatency({ quick: argv.includes('--quick') });
    writeFileSync(join(root, 'bench', 'results', 'broker-latency.md'), report);
    console.log(`\n${report}`);
  }
  process.exit(0);
} catch (error) {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exit(1);
}
