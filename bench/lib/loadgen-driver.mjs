// The runner's handle on a load-generator process (../loadgen.mjs): sends it
// commands over IPC and waits for its events, each wait bounded by a timeout.
import { fileURLToPath } from 'node:url';
import { startChild, stopChild } from './children.mjs';

const LOADGEN = fileURLToPath(new URL('../loadgen.mjs', import.meta.url));

/** One load-generator child process. */
export class LoadGenerator {
  /** Starts a generator and waits until it listens for commands. */
  static async start() {
    const handle = startChild({ command: process.execPath, args: [LOADGEN], ipc: true });
    const generator = new LoadGenerator(handle);
    await generator.expect('boot', 'started', 15_000);
    return generator;
  }

  constructor(handle) {
    this.handle = handle;
    this.nextId = 1;
    /** @type {Map<string, { resolve: (value: any) => void, reject: (error: Error) => void }>} */
    this.waiting = new Map();
    /** events that came before anyone waited for them */
    this.early = new Map();
    handle.child.on('message', (message) => this.dispatch(message));
    handle.exited.then(() => {
      const error = new Error(`load generator exited: ${handle.output.stderr.slice(-500)}`);
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    });
  }

  dispatch(message) {
    const id = message.ev === 'started' ? 'boot' : message.id;
    if (message.ev === 'error') {
      const error = new Error(message.message);
      for (const [key, waiter] of this.waiting) {
        if (key.startsWith(`${id}:`)) {
          this.waiting.delete(key);
          waiter.reject(error);
        }
      }
      this.early.set(`${id}:error`, error);
      return;
    }
    const key = `${id}:${message.ev}`;
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter.resolve(message);
    } else this.early.set(key, message);
  }

  /** Waits for event `ev` of command `id`. */
  expect(id, ev, timeoutMs) {
    const key = `${id}:${ev}`;
    const failed = this.early.get(`${id}:error`);
    if (failed) return Promise.reject(failed);
    const early = this.early.get(key);
    if (early) {
      this.early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`load generator: no "${ev}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(key, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Sends a command; returns its id. */
  command(cmd, spec) {
    const id = this.nextId++;
    this.handle.child.send({ cmd, id, spec });
    return id;
  }

  go(id) {
    this.handle.child.send({ cmd: 'go', id });
  }

  release(id) {
    this.handle.child.send({ cmd: 'release', id });
  }

  async stop() {
    try {
      this.handle.child.send({ cmd: 'exit' });
    } catch {
      // channel already closed
    }
    await stopChild(this.handle, 1000);
  }
}
