// Installs the Debian peers that tests use (Chromium for the browser tests,
// python3-websockets for the Python client, redis-server and nats-server for
// the brokers, websocketd for the CLI's parity table, tmux for its terminal
// test, squid for the client's proxy tests, qemu-user for the CLI's arm64
// spawn helper) when they are missing and
// this machine allows it. Never fails by itself: a test whose peer is still
// missing fails (FRAMEWIRE_ALLOW_SKIP=1 makes it skip, loudly).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian puts some servers in /usr/sbin (nats-server), which a user's PATH may lack. */
const onSystemPath = (name) => ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((dir) => existsSync(`${dir}/${name}`));

const wanted = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'redis-server', present: () => onSystemPath('redis-server') },
  { pkg: 'nats-server', present: () => onSystemPath('nats-server') },
  { pkg: 'websocketd', present: () => onSystemPath('websocketd') },
  { pkg: 'squid', present: () => existsSync('/usr/sbin/squid') && existsSync('/usr/lib/squid/basic_ncsa_auth') },
  // The CLI's terminal test types into `framewire connect` through tmux.
  { pkg: 'tmux', present: () => onSystemPath('tmux') },
  // The CLI's linux-arm64 spawn helper is checked under emulation.
  { pkg: 'qemu-user', present: () => onSystemPath('qemu-aarch64') || onSystemPath('qemu-aarch64-static') },
  {
    pkg: 'python3-websockets',
    present: () => spawnSync('/usr/bin/python3', ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0,
  },
];
const missing = wanted.filter((w) => !w.present()).map((w) => w.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.FW_NO_APT === '1') {
  console.warn(`\n!!! interop peers missing (${missing.join(', ')}) and apt-get is not usable here: those tests will FAIL (FRAMEWIRE_ALLOW_SKIP=1 skips them).\n`);
  process.exit(0);
}
try {
  console.log(`ensure-peers: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} catch (error) {
  console.warn(`\n!!! apt-get install failed (${error.message}): interop tests that need ${missing.join(', ')} will FAIL (FRAMEWIRE_ALLOW_SKIP=1 skips them).\n`);
}
