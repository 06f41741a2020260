/**
 * `framewire serve` flags → a checked {@link ServeConfig}. Every number has
 * a range and every default is a safe one.
 *
 * @module
 */
import { integerFlag, parseCommand, portFlag, secondsFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import { isRuntimeName, type RuntimeName } from '../runtime/current-runtime.js';
import { DEFAULT_PASS_ENV } from './cgi-env.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import { parseRoute, type Route } from './routes.js';
import { resolveProgram, type StopTimings } from './program-process.js';

/**
 * Programs running at once unless `--max-forks` says otherwise (0: no
 * limit): websocketd 0.5's default, so a flood of connections cannot fork
 * without bound.
 */
export const DEFAULT_MAX_FORKS = 1024;

/** The flags of `framewire serve` (parsed by `node:util` parseArgs). */
export const SERVE_FLAGS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  runtime: { type: 'string' },
  binary: { type: 'boolean' },
  shared: { type: 'boolean' },
  tag: { type: 'boolean' },
  'max-forks': { type: 'string' },
  origin: { type: 'string', multiple: true },
  token: { type: 'string' },
  staticdir: { type: 'string' },
  path: { type: 'string', multiple: true },
  protocol: { type: 'string', multiple: true },
  heartbeat: { type: 'string' },
  deflate: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  'no-spawn-helper': { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'close-grace': { type: 'string' },
  'kill-grace': { type: 'string' },
  'max-line': { type: 'string' },
  'max-payload': { type: 'string' },
  'client-queue': { type: 'string' },
  passenv: { type: 'string' },
  metrics: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Everything `serve` needs, checked. */
export interface ServeConfig {
  readonly runtime: RuntimeName | undefined;
  readonly port: number;
  readonly host: string;
  readonly binary: boolean;
  readonly shared: boolean;
  readonly tag: boolean;
  readonly maxForks: number;
  readonly origins: readonly string[];
  readonly token: string | undefined;
  readonly staticDir: string | undefined;
  /** The default program is the route with prefix `/`. */
  readonly routes: readonly Route[];
  readonly protocols: readonly string[];
  readonly heartbeatMs: number;
  readonly deflate: boolean;
  /**
   * Per-connection programs start through the spawn helper (vfork+execve)
   * where the package has one for the platform; `--no-spawn-helper` uses
   * the runtime's own spawn (node:child_process, or Bun.spawn on Bun).
   */
  readonly spawnHelper: boolean;
  readonly tls: { certPath: string; keyPath: string } | undefined;
  readonly stopTimings: StopTimings;
  readonly maxLineBytes: number;
  readonly maxPayload: number;
  /** `--shared`: bytes a client may have queued before it is closed with 1008. */
  readonly clientQueueBytes: number;
  readonly passEnv: readonly string[];
  /** `--metrics`: `GET /metrics` answers the server's counters (Prometheus text). */
  readonly metrics: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

const MiB = 1024 * 1024;

/** Parse and check `serve`'s arguments (PROGRAM after `--`). Throws a {@link CliError} on any problem. */
export function parseServeConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ServeConfig {
  const { values, positionals, rest } = parseCommand('serve', args, SERVE_FLAGS);
  const help = values.help === true;
  if (positionals.length > 0) {
    throw new CliError(`serve: put the program after --, e.g. framewire serve --port 8080 -- ${positionals.join(' ')}`);
  }
  const routes: Route[] = (values.path ?? []).map(parseRoute);
  if (rest.length > 0) routes.push({ prefix: '/', program: { command: rest[0]!, args: rest.slice(1) } });
  if (routes.length === 0 && !help) throw new CliError('serve: name the program after --, e.g. framewire serve --port 8080 -- cat');
  const resolved = routes.map((route) => {
    const command = resolveProgram(route.program.command, env.PATH);
    if (command === undefined) throw new CliError(`serve: program not found or not executable: ${route.program.command}`);
    return { prefix: route.prefix, program: { command, args: route.program.args } };
  });
  if (values.shared === true && resolved.some((route) => route.prefix !== '/')) {
    throw new CliError('serve --shared: one program for every client; --path routing is for per-connection programs');
  }
  if (values.tag === true && values.shared !== true) throw new CliError('serve: --tag only applies with --shared');
  const runtime = values.runtime;
  if (runtime !== undefined && !isRuntimeName(runtime)) throw new CliError(`serve: --runtime must be node, bun or deno, got ${runtime}`);
  if ((values.cert === undefined) !== (values.key === undefined)) throw new CliError('serve: --cert and --key go together');
  if (values.deflate === true && values['no-deflate'] === true) throw new CliError('serve: --deflate and --no-deflate contradict each other');
  return {
    runtime,
    port: portFlag(values.port, 8080),
    host: values.host ?? '127.0.0.1',
    binary: values.binary === true,
    shared: values.shared === true,
    tag: values.tag === true,
    maxForks: integerFlag('max-forks', values['max-forks'], DEFAULT_MAX_FORKS, 0, 1_000_000),
    origins: (values.origin ?? []).flatMap((list) => list.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== ''),
    token: values.token ?? env.FRAMEWIRE_TOKEN,
    staticDir: values.staticdir,
    routes: resolved,
    protocols: values.protocol ?? [],
    heartbeatMs: secondsFlag('heartbeat', values.heartbeat, 30_000),
    deflate: values['no-deflate'] !== true,
    spawnHelper: values['no-spawn-helper'] !== true,
    tls: values.cert !== undefined && values.key !== undefined ? { certPath: values.cert, keyPath: values.key } : undefined,
    stopTimings: { graceMs: secondsFlag('close-grace', values['close-grace'], 1000), killMs: secondsFlag('kill-grace', values['kill-grace'], 2000) },
    maxLineBytes: integerFlag('max-line', values['max-line'], DEFAULT_MAX_LINE_BYTES, 4, 64 * MiB),
    maxPayload: integerFlag('max-payload', values['max-payload'], 16 * MiB, 1, 1024 * MiB),
    clientQueueBytes: integerFlag('client-queue', values['client-queue'], 4 * MiB, 1024, 1024 * MiB),
    passEnv: values.passenv === undefined ? DEFAULT_PASS_ENV : values.passenv.split(',').map((name) => name.trim()).filter((name) => name !== ''),
    metrics: values.metrics === true,
    quiet: values.quiet === true,
    help,
  };
}
