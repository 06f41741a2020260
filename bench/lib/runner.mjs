// Orchestrates one `pnpm bench` run: codec micro-benchmark, echo and
// permessage-deflate cases (all servers up at once, repetitions interleaved
// so drift on a shared machine hits every server alike), then idle memory
// with a fresh server per repetition. Results go to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderChart } from './chart-svg.mjs';
import { hardFileLimit, killAllChildren, startChild, stopChild, waitForReady } from './children.mjs';
import { runCodecBench } from './codec-bench.mjs';
import { renderFanoutMarkdown, runFanout } from './fanout.mjs';
import { DEFLATE_CASES, ECHO_CASES, MODES } from './cases.mjs';
import { LoadGenerator } from './loadgen-driver.mjs';
import { machineInfo } from './machine.mjs';
import { cpuMs, executableOf, processTree, rssKiB } from './procfs.mjs';
import { renderMarkdown } from './report-md.mjs';
import { runtimeBinaries, serverCatalogue, unavailableReason } from './servers.mjs';
import { evaluateTargets } from './targets.mjs';

const READY_TIMEOUT_MS = 10_000;

/** A free loopback port (bound and released; the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const log = (text) => process.stderr.write(`${text}\n`);

/**
 * Starts one server and waits for READY.
 * @returns {Promise<{ handle: any, port: number } | { error: string }>}
 */
async function launch(root, def) {
  const port = await freePort();
  const handle = startChild({
    command: def.command,
    args: [...def.args, '--port', String(port)],
    env: { ...process.env, ...def.env },
    cwd: root,
  });
  try {
    await waitForReady(handle, READY_TIMEOUT_MS);
    return { handle, port };
  } catch (error) {
    await stopChild(handle, 500);
    // The message, not the stack: drop "at ..." frames and Node's version footer.
    const lines = (handle.output.stderr || handle.output.stdout).split('\n').map((line) => line.trim());
    const detail = lines.filter((line) => line && !line.startsWith('at ') && !/^Node\.js v/.test(line)).slice(-2).join(' | ');
    return { error: `${error.message}${detail ? `: ${detail}` : ''}` };
  }
}

/** Races two load-generator events; the loser's rejection is swallowed. */
function firstOf(a, b) {
  a.catch(() => {});
  b.catch(() => {});
  return Promise.race([a.then((m) => ({ which: 'a', m })), b.then((m) => ({ which: 'b', m }))]);
}

/** One measured window against one server: messages/s and server CPU per message. */
async function measureEcho(loadgen, server, testCase, mode) {
  const spec = {
    port: server.port,
    connections: testCase.connections,
    inFlight: testCase.inFlight,
    size: testCase.size,
    opcode: testCase.opcode,
    deflate: testCase.deflate,
    warmupMs: mode.warmupMs,
    durationMs: mode.durationMs,
    maxMessages: mode.maxMessages,
  };
  const budget = mode.warmupMs + mode.durationMs + 40_000;
  const id = loadgen.command('echo', spec);
  const done = loadgen.expect(id, 'done', budget);
  const first = await firstOf(loadgen.expect(id, 'ready', budget), done);
  if (first.which === 'b') return { error: first.m.result.error ?? 'ended before measuring' };
  const pids = processTree(server.handle.pid);
  const cpuBefore = cpuMs(pids);
  loadgen.go(id);
  const { result } = await done;
  const serverCpuMs = cpuMs(pids) - cpuBefore;
  if (!result.complete) return { error: 'replies missing after the drain timeout' };
  if (result.received === 0) return { error: 'no replies' };
  return {
    messagesPerSecond: result.received / (result.elapsedMs / 1000),
    cpuUsPerMessage: (serverCpuMs * 1000) / result.received,
    serverCpuPct: (serverCpuMs / result.elapsedMs) * 100,
    loadgenCpuPct: (result.loadgenCpuMs / result.elapsedMs) * 100,
    wireBytesPerMessage: result.payloadBytes / result.received,
    compressed: result.compressed,
    extensions: result.extensions,
  };
}

/** One idle-memory repetition on a fresh server. */
async function measureIdleMemory(root, def, loadgens, connections, mode) {
  const server = await launch(root, def);
  if ('error' in server) return { error: server.error };
  try {
    // Warm the server's upgrade and echo paths before the baseline.
    const probeId = loadgens[0].command('probe', { port: server.port, size: 16, opcode: 2, deflate: false });
    await loadgens[0].expect(probeId, 'done', 15_000);
    await sleep(300);
    const pids = processTree(server.handle.pid);
    const before = rssKiB(pids);
    const share = Math.ceil(connections / loadgens.length);
    const ids = loadgens.map((generator, i) => {
      const count = Math.min(share, connections - i * share);
      return count > 0 ? generator.command('idle', { port: server.port, connections: count }) : undefined;
    });
    try {
      await Promise.all(ids.map((id, i) => (id === undefined ? undefined : loadgens[i].expect(id, 'ready', 90_000))));
      // Let lazy allocations land: poll until RSS stops moving or time is up.
      let after = rssKiB(processTree(server.handle.pid));
      const settleUntil = Date.now() + mode.settleMs;
      while (Date.now() < settleUntil) {
        await sleep(250);
        const now = rssKiB(processTree(server.handle.pid));
        const moved = Math.abs(now - after) / Math.max(after, 1);
        after = now;
        if (moved < 0.002) break;
      }
      return { kibPerConnection: (after - before) / connections, baselineKiB: before, afterKiB: after };
    } finally {
      ids.forEach((id, i) => {
        if (id !== undefined) loadgens[i].release(id);
      });
      await Promise.all(ids.map((id, i) => (id === undefined ? undefined : loadgens[i].expect(id, 'done', 30_000).catch(() => {}))));
    }
  } catch (error) {
    return { error: error.message };
  } finally {
    await stopChild(server.handle);
  }
}

/**
 * The whole run.
 * @param {{ root: string, quick: boolean, only?: string[], skipCodec?: boolean, skipMemory?: boolean, skipEcho?: boolean, skipFanout?: boolean }} opts
 */
export async function runBenchmarks({ root, quick, only, skipCodec = false, skipMemory = false, skipEcho = false, skipFanout = false }) {
  const started = Date.now();
  const mode = { ...MODES[quick ? 'quick' : 'full'] };
  const binaries = runtimeBinaries(root);
  const machine = machineInfo(root, binaries);
  const catalogue = serverCatalogue(root).filter((def) => only === undefined || only.includes(def.key));
  const notes = [];
  const hardLimit = hardFileLimit();
  if (hardLimit < mode.idleConnections + 200) {
    notes.push(`open-file hard limit ${hardLimit}: idle connections lowered from ${mode.idleConnections}`);
    mode.idleConnections = Math.max(100, hardLimit - 200);
  }
  log(`bench: ${quick ? 'quick' : 'full'} run on ${machine.cores} × ${machine.cpuModel}, load ${machine.loadAverage}`);

  // 1. Codec micro-benchmark, first, while the machine is quiet.
  let codec = { status: 'skipped', output: '', rows: [] };
  if (!skipCodec) {
    log('bench: codec micro-benchmark');
    codec = await runCodecBench(root, { quick, timeoutMs: quick ? 240_000 : 600_000 });
    log(`bench: codec micro-benchmark ${codec.status}`);
  }

  // 2. Start every server that can run here.
  /** @type {Map<string, { def: any, status: string, reason?: string, port?: number, handle?: any, binary?: string, deflateProbe?: any }>} */
  const servers = new Map();
  const loadgen = await LoadGenerator.start();
  for (const def of catalogue) {
    const reason = unavailableReason(def);
    if (reason !== undefined) {
      servers.set(def.key, { def, status: 'n/a', reason });
      log(`bench: ${def.label}: n/a (${reason})`);
      continue;
    }
    const launched = await launch(root, def);
    if ('error' in launched) {
      const why = def.kind === 'framewire' ? 'adapter not built' : 'failed to start';
      servers.set(def.key, { def, status: 'n/a', reason: why });
      notes.push(`${def.label}: ${launched.error}`);
      log(`bench: ${def.label}: n/a (${launched.error})`);
      continue;
    }
    const entry = { def, status: 'running', ...launched, binary: executableOf(launched.handle.pid) };
    servers.set(def.key, entry);
    // Correctness first: a server that does not echo is not benchmarked.
    try {
      const probe = await loadgen.expect(loadgen.command('probe', { port: launched.port, size: 16, opcode: 2, deflate: false }), 'done', 15_000);
      if (!probe.result.ok) throw new Error(probe.result.reason);
      if (def.deflate === 'yes') {
        const id = loadgen.command('probe', { port: launched.port, size: 16384, opcode: 1, deflate: true });
        entry.deflateProbe = (await loadgen.expect(id, 'done', 15_000)).result;
      }
    } catch (error) {
      entry.status = 'failed';
      entry.reason = `echo check failed: ${error.message}`;
      notes.push(`${def.label}: ${entry.reason}`);
      await stopChild(launched.handle);
    }
    log(`bench: ${def.label}: ${entry.status}${entry.reason ? ` (${entry.reason})` : ''}`);
  }
  const running = [...servers.values()].filter((server) => server.status === 'running');

  // 3. Echo and deflate cases, repetitions interleaved across servers.
  const echo = {};
  const cases = [...ECHO_CASES, ...DEFLATE_CASES];
  for (const testCase of cases) {
    echo[testCase.key] = {};
    for (const server of running) echo[testCase.key][server.def.key] = { reps: [], errors: [] };
  }
  const appliesTo = (testCase, server) => {
    if (!DEFLATE_CASES.includes(testCase)) return true;
    // The deflate table compares servers that can compress; ws without
    // bufferutil is left out to keep the run short (bufferutil only masks).
    return server.def.deflate !== 'n/a' && server.def.key !== 'ws' && (server.def.deflate === 'yes' || !testCase.deflate);
  };
  for (let rep = 0; rep < (skipEcho ? 0 : mode.reps); rep++) {
    log(`bench: echo repetition ${rep + 1}/${mode.reps}`);
    for (const testCase of cases) {
      for (const server of running) {
        if (!appliesTo(testCase, server)) continue;
        const slot = echo[testCase.key][server.def.key];
        try {
          const result = await measureEcho(loadgen, server, testCase, mode);
          if ('error' in result) slot.errors.push(result.error);
          else slot.reps.push(result);
        } catch (error) {
          slot.errors.push(error.message);
        }
      }
    }
  }
  for (const server of running) await stopChild(server.handle);

  // 4. Idle memory: a fresh server per repetition.
  const memory = {};
  if (!skipMemory) {
    const perProcess = Math.max(500, hardLimit - 500);
    const generators = [loadgen];
    while (generators.length * perProcess < mode.idleConnections) generators.push(await LoadGenerator.start());
    for (let rep = 0; rep < mode.memoryReps; rep++) {
      log(`bench: idle memory repetition ${rep + 1}/${mode.memoryReps} (${mode.idleConnections} connections)`);
      for (const server of running) {
        const slot = (memory[server.def.key] ??= { reps: [], errors: [] });
        const result = await measureIdleMemory(root, server.def, generators, mode.idleConnections, mode);
        if ('error' in result) slot.errors.push(result.error);
        else slot.reps.push(result);
      }
    }
    for (const generator of generators.slice(1)) await generator.stop();
  }
  await loadgen.stop();

  // 5. Fan-out: one publish to many subscribers (its own servers and subscriber processes).
  let fanout;
  if (!skipFanout) fanout = await runFanout({ root, quick, log });
  killAllChildren('SIGKILL');

  const results = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    settings: mode,
    machine,
    durationS: Math.round((Date.now() - started) / 1000),
    servers: [...servers.values()].map((server) => ({
      key: server.def.key,
      label: server.def.label,
      kind: server.def.kind,
      runtime: server.def.runtime,
      deflate: server.def.deflate,
      status: server.status,
      reason: server.reason,
      binary: server.binary,
      deflateProbe: server.deflateProbe,
    })),
    echo,
    memory,
    codec,
    fanout,
    notes,
  };
  results.targets = [...evaluateTargets(results), ...(fanout?.targets ?? [])];
  const outDir = join(root, 'bench', 'results');
  mkdirSync(join(outDir, 'raw'), { recursive: true });
  writeFileSync(join(outDir, 'raw', `${results.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), renderMarkdown(results) + (fanout === undefined ? '' : `\n${renderFanoutMarkdown(fanout)}`));
  writeFileSync(join(outDir, 'latest.svg'), renderChart(results));
  log(`bench: done in ${results.durationS} s → bench/results/latest.md, latest.svg`);
  return results;
}
