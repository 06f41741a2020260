import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, startRedis, type Service } from './services.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/runtime-smoke.mjs', import.meta.url));
const runtimes: Record<string, [string, string[]]> = {
  node: [process.execPath, []],
  bun: [`${root}node_modules/.bin/bun`, ['run']],
  deno: [existsSync(`${root}node_modules/deno/deno`) ? `${root}node_modules/deno/deno` : `${root}node_modules/.bin/deno`, ['run', '--allow-net=127.0.0.1', '--allow-env=REDIS_DEBUG_MAINTENANCE', '--no-prompt', '--quiet']],
};

describe('the brokers and logs on every runtime (same npm clients: node-redis and @nats-io/transport-node over node:net)', () => {
  let redis: Service;
  let nats: Service;
  beforeAll(async () => {
    redis = await startRedis();
    nats = await startNats({ jetstream: true });
  });
  afterAll(async () => {
    await redis?.stop();
    await nats?.stop();
  });

  for (const [name, [command, args]] of Object.entries(runtimes)) {
    it(`runs on ${name}`, async () => {
      const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        const child = execFile(command, [...args, script, redis.url, nats.url], { timeout: 90_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } }, (error, out, err) =>
          resolve({ stdout: out, stderr: err, code: error === null ? 0 : (child.exitCode ?? -1) }),
        );
      });
      expect({ code, stdout, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stdout: 'ok RedisBroker\nok RedisStreamLog\nok NatsBroker\nok JetStreamLog\ndone\n', stderr: '' });
    }, 120_000);
  }
});
