import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { MatrixConfig } from '../src/matrix.js';
import { runMatrix } from '../src/matrix.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

describe('matrix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-matrix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the shipped config enables the ws control and drives framewire through the echo entry points', () => {
    const config = JSON.parse(readFileSync(join(pkgDir, 'testkit.matrix.json'), 'utf8')) as MatrixConfig;
    expect(config.targets.filter((t) => t.enabled !== false).map((t) => t.name)).toContain('ws');
    for (const t of config.targets.filter((x) => x.name.startsWith('framewire-'))) {
      const runtime = t.name.slice('framewire-'.length);
      expect(t.server?.command).toBe(`node scripts/echo-server.mjs --runtime ${runtime} --port {port}`);
    }
    expect(config.targets.map((t) => t.name)).toEqual(expect.arrayContaining(['framewire-node', 'framewire-deno', 'framewire-deno-serve', 'framewire-bun', 'framewire-bun-serve']));
  });

  it('starts a server command (waits for READY), runs a client command, prints a table and writes reports', async () => {
    const lines: string[] = [];
    const config: MatrixConfig = {
      targets: [
        {
          name: 'ws',
          server: { command: `"${process.execPath}" drivers/ws-echo-server.mjs --port {port}` },
          client: { command: `"${process.execPath}" drivers/ws-echo-client.mjs` },
        },
        { name: 'disabled', enabled: false, server: { command: 'false' } },
      ],
    };
    const runs = await runMatrix({ config, baseDir: pkgDir, cases: 'ping.payload.*,close.code.invalid.1004', reportDir: dir, log: (l) => lines.push(l) });
    expect(runs.map((r) => `${r.target}:${r.mode}`)).toEqual(['ws:server', 'ws:client']);
    for (const run of runs) expect(run.counts).toMatchObject({ pass: 5, fail: 0 });
    expect(lines.join('\n')).toMatch(/ping\s+4\/0\/0\s+4\/0\/0/);
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  }, 60_000);
});
