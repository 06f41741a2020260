#!/usr/bin/env node
// README examples that run (issue 17).
//
// 1. Every fenced code block in the READMEs below must sit right under a marker line:
//      <!-- example: examples/node/quick-start.mjs -->   the block is that file, byte for byte (trimmed)
//      <!-- fragment: why it cannot run alone -->        not a complete program, and the reader is told so
//    Anything else fails the check.
// 2. Every file under examples/<runtime>/ runs on its runtime (node, bun, deno) with a time limit,
//    and its stdout must equal the `.expected` file next to it, line for line.
//
//   node scripts/readme-examples.mjs            check the READMEs, then run every example
//   node scripts/readme-examples.mjs --update   rewrite the example blocks in the READMEs from the files
//   node scripts/readme-examples.mjs --no-run   only check the READMEs
//   node scripts/readme-examples.mjs --only deno   run only examples whose path contains "deno"
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const READMES = [
  'README.md',
  'packages/codec/README.md',
  'packages/node-adapter/README.md',
  'packages/bun-adapter/README.md',
  'packages/deno-adapter/README.md',
  'packages/testkit/README.md',
  'apps/demo/README.md',
  'packages/cli/README.md',
  'packages/pubsub/README.md',
  'docs/coming-from.md',
];
const TIMEOUT_MS = 30_000;

const { values: args } = parseArgs({
  options: {
    update: { type: 'boolean', default: false },
    'no-run': { type: 'boolean', default: false },
    only: { type: 'string' },
    timeout: { type: 'string', default: String(TIMEOUT_MS) },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (args.help) {
  console.log('usage: node scripts/readme-examples.mjs [--update] [--no-run] [--only SUBSTRING] [--timeout MS]');
  process.exit(0);
}
const timeoutMs = Number(args.timeout);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  console.error(`--timeout: not a positive number of milliseconds: ${args.timeout}`);
  process.exit(2);
}

const MARKER = /^<!--\s*(example|fragment):\s*(.*?)\s*-->\s*$/;
const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})([^`]*)$/;

/** The fenced blocks of a markdown text: where they start and end (line indexes), their language and marker. */
function blocksOf(lines) {
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end].trim().startsWith(fence) && lines[end].trim().replace(/[`~]/g, '') === '')) end++;
    if (end >= lines.length) throw new Error(`unclosed code fence at line ${i + 1}`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1]) : null;
    blocks.push({
      start: i,
      end,
      indent,
      lang: info.trim(),
      body: lines.slice(i + 1, end).join('\n'),
      kind: marker?.[1],
      note: marker?.[2],
    });
    i = end;
  }
  return blocks;
}

const problems = [];
const included = new Map(); // example file -> README blocks that include it
let fragments = 0;

for (const readme of READMES) {
  const path = join(root, readme);
  if (!existsSync(path)) {
    problems.push(`${readme}: missing`);
    continue;
  }
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  let blocks;
  try {
    blocks = blocksOf(lines);
  } catch (error) {
    problems.push(`${readme}: ${error.message}`);
    continue;
  }
  let changed = false;
  // Walk backwards so that rewriting a block does not move the ones still to visit.
  for (const block of [...blocks].reverse()) {
    const where = `${readme}:${block.start + 1}`;
    if (block.kind === 'fragment') {
      fragments++;
      if (!block.note) problems.push(`${where}: a fragment marker must say why (<!-- fragment: why -->)`);
      continue;
    }
    if (block.kind !== 'example') {
      problems.push(`${where}: a \`\`\`${block.lang} block with neither <!-- example: FILE --> nor <!-- fragment: why --> right above it`);
      continue;
    }
    const file = block.note;
    const filePath = join(root, file);
    if (!file.startsWith('examples/') || !existsSync(filePath)) {
      problems.push(`${where}: example file ${file} does not exist under examples/`);
      continue;
    }
    if (!included.has(file)) included.set(file, []);
    included.get(file).push(where);
    const source = readFileSync(filePath, 'utf8').trim();
    if (block.body.trim() === source) continue;
    if (args.update) {
      lines.splice(block.start + 1, block.end - block.start - 1, ...source.split('\n'));
      changed = true;
      console.log(`updated ${where} from ${file}`);
    } else {
      problems.push(`${where}: the block differs from ${file} (run with --update to copy the file in)`);
    }
  }
  if (changed) writeFileSync(path, lines.join('\n'));
}

console.log(`READMEs: ${READMES.length} files, ${[...included.values()].flat().length} example blocks, ${fragments} fragments`);
if (problems.length > 0) {
  for (const problem of problems) console.error(`FAIL ${problem}`);
  process.exit(1);
}
if (args['no-run'] || args.update) process.exit(0);

// ---- run the examples -------------------------------------------------------------------

const RUNTIMES = {
  node: (file) => [process.execPath, [file]],
  bun: (file) => [join(root, 'node_modules/bun/bin/bun.exe'), ['run', file]],
  deno: (file) => [join(root, 'node_modules/deno/deno'), ['run', '--allow-net=127.0.0.1', '--no-prompt', file]],
};
const SOURCE_EXT = new Set(['.mjs', '.js', '.ts']);

const examples = [];
for (const runtime of readdirSync(join(root, 'examples')).sort()) {
  if (!RUNTIMES[runtime]) {
    problems.push(`examples/${runtime}: no runtime of that name (node, bun, deno)`);
    continue;
  }
  for (const name of readdirSync(join(root, 'examples', runtime)).sort()) {
    if (!SOURCE_EXT.has(extname(name))) continue;
    if (runtime === 'node' && extname(name) === '.ts') {
      problems.push(`examples/node/${name}: Node examples are .mjs`);
      continue;
    }
    const file = `examples/${runtime}/${name}`;
    if (args.only && !file.includes(args.only)) continue;
    const expected = join(root, 'examples', runtime, name.slice(0, -extname(name).length) + '.expected');
    if (!existsSync(expected)) {
      problems.push(`${file}: no expected-output file ${relative(root, expected)}`);
      continue;
    }
    examples.push({ runtime, file, expected: readFileSync(expected, 'utf8') });
  }
}

/** Runs one example in its own process group; kills the group when the time limit runs out. */
function run({ runtime, file }) {
  const [command, argv] = RUNTIMES[runtime](file);
  const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', BUN_DISABLE_TELEMETRY: '1' };
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${error.message}\n`, timedOut, ms: performance.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

const normalise = (text) => text.replace(/\r\n/g, '\n').replace(/\s+$/, '').split('\n').map((line) => line.trimEnd());
const allStarted = performance.now();
let failed = problems.length;
for (const problem of problems) console.log(`FAIL ${problem}`);
for (const example of examples) {
  const result = await run(example);
  const seconds = `${(result.ms / 1000).toFixed(2)} s`;
  const got = normalise(result.stdout);
  const want = normalise(example.expected);
  let why = '';
  if (result.timedOut) why = `hung: killed after ${timeoutMs / 1000} s`;
  else if (result.code !== 0) why = `exit ${result.code ?? result.signal}`;
  else if (got.join('\n') !== want.join('\n')) why = 'wrong output';
  const used = included.get(example.file);
  const where = used ? `  (${used.join(', ')})` : '';
  if (!why) {
    console.log(`ok   ${example.runtime.padEnd(4)} ${example.file.padEnd(36)} ${seconds.padStart(8)}${where}`);
    continue;
  }
  failed++;
  console.log(`FAIL ${example.runtime.padEnd(4)} ${example.file.padEnd(36)} ${seconds.padStart(8)}  ${why}${where}`);
  if (why === 'wrong output') console.log(`     expected:\n${want.map((l) => `       ${l}`).join('\n')}\n     got:\n${got.map((l) => `       ${l}`).join('\n')}`);
  else if (result.stdout.trim()) console.log(`     stdout:\n${normalise(result.stdout).map((l) => `       ${l}`).join('\n')}`);
  if (result.stderr.trim()) console.log(`     stderr:\n${normalise(result.stderr).slice(-20).map((l) => `       ${l}`).join('\n')}`);
}
const total = `${((performance.now() - allStarted) / 1000).toFixed(2)} s`;
console.log(`${examples.length} examples, ${failed} failed, ${total}`);
process.exit(failed > 0 ? 1 : 0);
