// ProgramChild, the program's process and pipes, on each spawn it has:
// node:child_process (checked here) and Bun.spawn (the same checks run by
// the repository's bun binary; a missing bun fails the run).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { spawnChild } from '../src/serve/program-child.js';
import { SpawnHelper, spawnHelperPath } from '../src/serve/spawn-helper.js';
import { EXPECTED_CHECKS, programChildChecks } from './fixtures/program-child-checks.js';

const bun = fileURLToPath(new URL('../../../node_modules/.bin/bun', import.meta.url));
const armHelper = fileURLToPath(new URL('../native/prebuilt/linux-arm64/framewire-spawn-helper', import.meta.url));
const qemu = ['/usr/bin/qemu-aarch64', '/usr/bin/qemu-aarch64-static'].find((file) => existsSync(file));

describe('ProgramChild', () => {
  it('on Node (child_process): lines both ways, exit codes, signals to the group, exact env, stdin backpressure, EPIPE ignored', async () => {
    expect(await programChildChecks(spawnChild)).toEqual(EXPECTED_CHECKS);
  });

  it('through the spawn helper (vfork, stdio carried on the helper channel): the same checks, and real pipes', async () => {
    const path = spawnHelperPath();
    expect(path, 'native/prebuilt/<platform>-<arch>/framewire-spawn-helper (node scripts/build-spawn-helper.mjs)').toBeDefined();
    const helper = await SpawnHelper.start(path!);
    if (!(helper instanceof SpawnHelper)) throw new Error(helper.unavailable);
    try {
      expect(await programChildChecks((spec, env) => helper.spawn(spec, env))).toEqual(EXPECTED_CHECKS);
      // Real pipes, as websocketd gives (libuv and Bun give socketpairs, on which opening /dev/stdin fails with ENXIO).
      const devices = helper.spawn({ command: 'sh', args: ['-c', '[ -p /dev/stdin ] && [ -p /dev/stdout ] && [ -p /dev/stderr ] && read x < /dev/stdin && echo "got $x" > /dev/stdout'] }, { PATH: process.env.PATH ?? '/usr/bin:/bin' });
      let output = '';
      devices.readOutput((chunk) => (output += Buffer.from(chunk).toString()), () => {});
      devices.readErrors(() => {}, () => {});
      devices.write('hi\n');
      expect(await devices.closed).toEqual({ code: 0, signal: null });
      expect(output).toBe('got hi\n');
    } finally {
      helper.close();
    }
  });

  it('a spawn helper that cannot run is reported, not used (serve then spawns with the runtime)', async () => {
    expect(await SpawnHelper.start('/bin/true')).toEqual({ unavailable: 'spawn helper /bin/true: exited (exit 0)' });
    const notExecutable = await SpawnHelper.start(fileURLToPath(new URL('../native/spawn-helper.c', import.meta.url)));
    expect(notExecutable).toMatchObject({ unavailable: expect.stringMatching(/EACCES/) });
  });

  it('the committed spawn helper binaries (linux-x64, linux-arm64) are built from native/spawn-helper.c as it is now', () => {
    const check = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/build-spawn-helper.mjs', import.meta.url)), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  if (qemu === undefined) peerMissing(it, 'qemu-aarch64 (Debian: qemu-user): the linux-arm64 spawn helper under emulation');
  it.skipIf(qemu === undefined)('the linux-arm64 helper, run by qemu-aarch64, passes the same checks (the programs it starts run natively)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-arm64-helper-'));
    const wrapper = join(dir, 'helper');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${qemu} ${armHelper} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const helper = await SpawnHelper.start(wrapper);
    try {
      if (!(helper instanceof SpawnHelper)) throw new Error(helper.unavailable);
      // 200 ms: qemu's fork-for-vfork lets the pid reach us before the program's setsid().
      expect(await programChildChecks((spec, env) => helper.spawn(spec, env), 200)).toEqual(EXPECTED_CHECKS);
    } finally {
      if (helper instanceof SpawnHelper) helper.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  if (!existsSync(bun)) peerMissing(it, `${bun} (pnpm install): ProgramChild on Bun.spawn`);
  it.skipIf(!existsSync(bun))('on Bun (Bun.spawn): the same checks', () => {
    const script = fileURLToPath(new URL('./fixtures/run-program-child.ts', import.meta.url));
    const run = spawnSync(bun, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_CHECKS);
  });
});
