// The servers the benchmark compares, each started under its own runtime.
// Bun and Deno are run from their real binaries (not the node_modules/.bin
// shell wrappers) so the pid we measure is the server itself. framewire rows
// go through the project's standard entry point, scripts/echo-server.mjs,
// and join only when that entry point and the adapter exist and start.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Finds the real Bun and Deno executables installed by the npm packages.
 * @param {string} root repository root
 * @returns {{ bun: string | undefined, deno: string | undefined }}
 */
export function runtimeBinaries(root) {
  const require = createRequire(join(root, 'package.json'));
  const fromPackage = (name, relatives) => {
    try {
      const dir = dirname(require.resolve(`${name}/package.json`));
      return relatives.map((relative) => join(dir, relative)).find((path) => existsSync(path));
    } catch {
      return undefined;
    }
  };
  const fromStore = (prefix, relative) => {
    const store = join(root, 'node_modules', '.pnpm');
    if (!existsSync(store)) return undefined;
    for (const entry of readdirSync(store)) {
      if (!entry.startsWith(prefix)) continue;
      const path = join(store, entry, relative);
      if (existsSync(path)) return path;
    }
    return undefined;
  };
  const bun =
    fromPackage('bun', ['bin/bun.exe', 'bin/bun']) ??
    fromStore('@oven+bun-linux-x64', 'node_modules/@oven/bun-linux-x64/bin/bun');
  const deno =
    fromPackage('deno', ['deno', 'bin/deno']) ??
    fromStore('@deno+linux-x64-glibc', 'node_modules/@deno/linux-x64-glibc/deno');
  return { bun, deno };
}

/**
 * @typedef {object} ServerDef
 * @property {string} key        stable id used in results
 * @property {string} label      row label
 * @property {'framewire'|'peer'|'floor'} kind
 * @property {'node'|'bun'|'deno'} runtime
 * @property {string|undefined} command executable
 * @property {string[]} args      arguments before `--port N`
 * @property {Record<string,string>} env extra environment
 * @property {'yes'|'no'|'n/a'} deflate whether it offers permessage-deflate
 * @property {string} [adapterDist] file that must exist for a framewire row
 */

/**
 * Every server row, framewire first. Order is the row order of the tables.
 * @param {string} root
 * @returns {ServerDef[]}
 */
export function serverCatalogue(root) {
  const { bun, deno } = runtimeBinaries(root);
  const node = process.execPath;
  const entry = join(root, 'scripts', 'echo-server.mjs');
  const peer = (name) => join(root, 'bench', 'servers', name);
  const denoRun = ['run', '--allow-net', '--no-prompt'];
  const framewire = (key, label, runtime, flag, adapter, deflate = 'yes') => ({
    key,
    label,
    kind: 'framewire',
    runtime,
    command: node,
    args: [entry, '--runtime', flag],
    env: {},
    deflate,
    adapterDist: join(root, 'packages', adapter, 'dist', 'index.js'),
  });
  return [
    framewire('fw-node', 'framewire · Node', 'node', 'node', 'node-adapter'),
    {
      // The Node echo with ws's zlib level: the "equal compressed size" row of the deflate table.
      key: 'fw-node-l6',
      label: 'framewire · Node · deflate level 6',
      kind: 'framewire',
      runtime: 'node',
      command: node,
      args: [peer('fw-level-echo.mjs')],
      env: { FW_DEFLATE_LEVEL: '6' },
      deflate: 'yes',
      adapterDist: join(root, 'packages', 'node-adapter', 'dist', 'index.js'),
    },
    framewire('fw-bun', 'framewire · Bun', 'bun', 'bun', 'bun-adapter'),
    framewire('fw-deno', 'framewire · Deno raw TCP', 'deno', 'deno', 'deno-adapter'),
    // Deno.upgradeWebSocket negotiates no permessage-deflate.
    framewire('fw-deno-serve', 'framewire · Deno.serve upgrade', 'deno', 'deno-serve', 'deno-adapter', 'no'),
    {
      key: 'ws',
      label: 'ws (no bufferutil)',
      kind: 'peer',
      runtime: 'node',
      command: node,
      args: [peer('ws-echo.mjs')],
      env: { WS_NO_BUFFER_UTIL: '1' },
      deflate: 'yes',
    },
    {
      key: 'ws-bu',
      label: 'ws + bufferutil',
      kind: 'peer',
      runtime: 'node',
      command: node,
      args: [peer('ws-echo.mjs')],
      env: {},
      deflate: 'yes',
    },
    {
      key: 'bun-serve',
      label: 'Bun.serve',
      kind: 'peer',
      runtime: 'bun',
      command: bun,
      args: [peer('bun-serve.mjs')],
      env: {},
      deflate: 'yes',
    },
    {
      key: 'deno-serve',
      label: 'Deno.serve',
      kind: 'peer',
      runtime: 'deno',
      command: deno,
      args: [...denoRun, peer('deno-serve.mjs')],
      env: { DENO_NO_UPDATE_CHECK: '1' },
      deflate: 'no',
    },
    {
      key: 'floor-node',
      label: 'floor · node:net',
      kind: 'floor',
      runtime: 'node',
      command: node,
      args: [peer('floor-node.mjs')],
      env: {},
      deflate: 'n/a',
    },
    {
      key: 'floor-bun',
      label: 'floor · Bun.listen',
      kind: 'floor',
      runtime: 'bun',
      command: bun,
      args: [peer('floor-bun.mjs')],
      env: {},
      deflate: 'n/a',
    },
    {
      key: 'floor-deno',
      label: 'floor · Deno.listen',
      kind: 'floor',
      runtime: 'deno',
      command: deno,
      args: [...denoRun, peer('floor-deno.mjs')],
      env: { DENO_NO_UPDATE_CHECK: '1' },
      deflate: 'n/a',
    },
  ];
}

/**
 * Why a server cannot run here, or undefined when it may be started.
 * A framewire row needs the entry point and the adapter's build.
 * @param {ServerDef} def
 */
export function unavailableReason(def) {
  if (def.command === undefined || !existsSync(def.command)) return `${def.runtime} binary not found`;
  if (def.kind === 'framewire') {
    const entry = def.args[0];
    if (entry === undefined || !existsSync(entry)) return 'adapter not built';
    if (def.adapterDist !== undefined && !existsSync(def.adapterDist)) return 'adapter not built';
  }
  return undefined;
}
