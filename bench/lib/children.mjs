// Child processes of the runner: every one is started in its own process
// group with the open-file limit raised to the hard limit, remembered, and
// killed (the whole group) when the runner exits, fails or gets Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';

const live = new Set();

/** Kills every child group still alive; safe to call twice. */
export function killAllChildren(signal = 'SIGKILL') {
  for (const child of live) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllChildren('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping children`);
      killAllChildren('SIGKILL');
      process.exit(130);
    });
  }
}

/** The hard open-file limit children may raise themselves to. */
export function hardFileLimit() {
  const out = spawnSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? 1_048_576 : Number(out) || 1024;
}

/**
 * Starts `command args` through `sh -c 'ulimit -n <hard>; exec ...'`: the
 * exec keeps the pid, so the pid we hold is the program itself.
 * @param {{ command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string, ipc?: boolean }} opts
 */
export function startChild({ command, args, env, cwd, ipc = false }) {
  installExitHooks();
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec "$@"';
  const child = spawn('/bin/sh', ['-c', script, 'sh', command, ...args], {
    cwd,
    env: env ?? process.env,
    detached: true,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const output = { stdout: '', stderr: '' };
  const keep = (name) => (chunk) => {
    // Keep only a tail: enough for an error message, bounded for chatty servers.
    output[name] = (output[name] + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (error) => {
      live.delete(child);
      resolve({ code: -1, signal: null, error });
    });
  });
  return { child, pid: child.pid, output, exited };
}

/**
 * Resolves once the child prints a line that is exactly READY; rejects on
 * exit or after `timeoutMs`.
 */
export function waitForReady(handle, timeoutMs) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk.toString('utf8');
      if (/(^|\n)READY\r?\n/.test(seen)) finish(undefined);
    };
    const timer = setTimeout(() => finish(new Error(`no READY line within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (error) => {
      clearTimeout(timer);
      handle.child.stdout.off('data', onData);
      if (error) reject(error);
      else resolve(undefined);
    };
    handle.child.stdout.on('data', onData);
    handle.exited.then(({ code, signal }) => finish(new Error(`exited (code ${code}, signal ${signal}) before READY`)));
  });
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when it is gone. */
export async function stopChild(handle, graceMs = 2000) {
  if (!live.has(handle.child)) return;
  try {
    process.kill(-handle.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-handle.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }, graceMs);
  await handle.exited;
  clearTimeout(timer);
  // Children of a wrapper that ignored SIGTERM go with the group.
  try {
    process.kill(-handle.pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}
