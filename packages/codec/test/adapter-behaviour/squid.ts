// A real HTTP proxy for the proxy suite: Debian's squid, started on a free
// 127.0.0.1 port in a temp folder with basic auth (user `fw`, password
// `s3cret`), no cache, and CONNECT allowed to any port. Started through
// node:child_process, which Node, Bun and Deno (with --allow-run) provide.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { AdapterFixture } from './fixture.js';
import { closedPort } from './raw-tcp.js';

export const SQUID = '/usr/sbin/squid';
const BASIC_AUTH_HELPER = '/usr/lib/squid/basic_ncsa_auth';

/** Is squid installed (with its basic auth helper)? */
export function squidPresent(): boolean {
  return existsSync(SQUID) && existsSync(BASIC_AUTH_HELPER);
}

/** A running squid. */
export interface Squid {
  readonly port: number;
  /** `http://fw:s3cret@127.0.0.1:port` (or without credentials). */
  url(withCredentials?: boolean): string;
  /** The CONNECT lines squid logged so far (`CONNECT 127.0.0.1:N`). */
  connects(): string[];
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startSquid(fixture: AdapterFixture): Promise<Squid> {
  const dir = mkdtempSync('/tmp/fw-squid-');
  chmodSync(dir, 0o777); // squid's helpers may run as its unprivileged user
  const port = await closedPort();
  const hash = (await fixture.spawn('openssl', ['passwd', '-apr1', 's3cret']).output).trim();
  writeFileSync(join(dir, 'passwd'), `fw:${hash}\n`, { mode: 0o644 });
  const conf = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `access_log stdio:${dir}/access.log`,
    'cache deny all',
    `coredump_dir ${dir}`,
    'pinger_enable off',
    `auth_param basic program ${BASIC_AUTH_HELPER} ${dir}/passwd`,
    'auth_param basic realm framewire-test',
    'acl authed proxy_auth REQUIRED',
    'http_access allow authed',
    'http_access deny all',
    'shutdown_lifetime 0 seconds',
  ].join('\n');
  writeFileSync(join(dir, 'squid.conf'), `${conf}\n`);
  const child: ChildProcess = spawn(SQUID, ['-N', '-f', join(dir, 'squid.conf')], {
    stdio: 'ignore',
    env: { PATH: '/usr/sbin:/usr/bin:/bin' }, // explicit: Deno would need env permission to copy ours
  });
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'cache.log')) ? readFileSync(join(dir, 'cache.log'), 'utf8').slice(-2000) : '';
      throw new Error(`squid did not start on port ${port}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: (withCredentials = true) => `http://${withCredentials ? 'fw:s3cret@' : ''}127.0.0.1:${port}`,
    connects: () => {
      const path = join(dir, 'access.log');
      return existsSync(path) ? [...readFileSync(path, 'utf8').matchAll(/CONNECT (\S+)/g)].map((m) => `CONNECT ${m[1]}`) : [];
    },
    stop: async () => {
      const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
