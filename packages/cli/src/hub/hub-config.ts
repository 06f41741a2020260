/**
 * `framewire hub` flags, checked into a {@link HubConfig}.
 *
 * @module
 */
import { integerFlag, parseCommand, portFlag } from '../args.js';
import { CliError } from '../cli-error.js';

/** The flags of `hub`. */
export const HUB_FLAGS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  redis: { type: 'string' },
  nats: { type: 'string' },
  history: { type: 'string' },
  secret: { type: 'string' },
  echo: { type: 'boolean' },
  'max-connections': { type: 'string' },
  'max-topics': { type: 'string' },
  'max-message': { type: 'string' },
  'no-deflate': { type: 'boolean' },
  metrics: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A checked `hub` invocation. */
export interface HubConfig {
  readonly port: number;
  readonly host: string;
  readonly redis: string | undefined;
  readonly nats: string | undefined;
  /** Messages kept per topic (0: none). */
  readonly history: number;
  /** The JWT secret; `undefined`: everything is open. */
  readonly secret: string | undefined;
  /** Does a WebSocket publisher get its own messages? */
  readonly echo: boolean;
  readonly maxConnections: number;
  /** Topics with subscribers (and with history) at most. */
  readonly maxTopics: number;
  /** Largest message, over WebSocket and HTTP, in bytes. */
  readonly maxMessage: number;
  readonly deflate: boolean;
  /** `--metrics`: `GET /metrics` answers Prometheus text (server and hub counters). */
  readonly metrics: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

const MiB = 1024 * 1024;

/** The environment variable read for the secret when `--secret` is absent (keeps it out of `ps`). */
export const SECRET_ENV = 'FRAMEWIRE_HUB_SECRET';

/** Parse `hub` arguments; `env` supplies {@link SECRET_ENV}. */
export function parseHubConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): HubConfig {
  const { values, positionals, rest } = parseCommand('hub', args, HUB_FLAGS);
  if (positionals.length + rest.length > 0) throw new CliError(`hub: unexpected argument ${[...positionals, ...rest][0]}`);
  const secret = values.secret ?? (env[SECRET_ENV] === '' ? undefined : env[SECRET_ENV]);
  if (secret !== undefined && secret.length === 0) throw new CliError('hub: --secret is empty');
  return {
    port: portFlag(values.port, 8080),
    host: values.host ?? '127.0.0.1',
    redis: values.redis,
    nats: values.nats,
    history: integerFlag('history', values.history, 100, 0, 100_000),
    secret,
    echo: values.echo === true,
    maxConnections: integerFlag('max-connections', values['max-connections'], 10_000, 1, 1_000_000),
    maxTopics: integerFlag('max-topics', values['max-topics'], 10_000, 1, 1_000_000),
    maxMessage: integerFlag('max-message', values['max-message'], MiB, 1, 64 * MiB),
    deflate: values['no-deflate'] !== true,
    metrics: values.metrics === true,
    quiet: values.quiet === true,
    help: values.help === true,
  };
}
