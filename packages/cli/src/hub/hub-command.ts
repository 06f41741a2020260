/**
 * `framewire hub`: start the topic hub, say on stderr where it listens (and
 * loudly when it is open to everyone), print `READY`, run until
 * SIGINT/SIGTERM.
 *
 * @module
 */
import { stderrLog } from '../log.js';
import { SECRET_ENV, type HubConfig } from './hub-config.js';
import { startHub, type RunningHub } from './hub-server.js';

/** How long the start waits for Redis or NATS before it says it is down and serves anyway. */
const BACKEND_WAIT_MS = 3000;

/** Start the hub and print its start lines; resolves once listening. */
export async function startHubCommand(config: HubConfig): Promise<RunningHub> {
  const log = stderrLog(config.quiet);
  const hub = await startHub(config, log);
  // The hub serves at once; a Redis or NATS that is not up yet only means 503 for publishes until it is.
  const connected = await Promise.race([
    hub.backendReady.then(() => true),
    new Promise<false>((resolve) => setTimeout(resolve, BACKEND_WAIT_MS, false).unref()),
  ]);
  if (!connected) {
    process.stderr.write(
      `framewire: WARNING: hub backend ${hub.backend} is not reachable yet; starting anyway (publishes answer 503 and /healthz 503 until it is, subscriptions start when it comes)\n`,
    );
  }
  if (config.secret === undefined) {
    process.stderr.write(
      `framewire: WARNING: hub without --secret (or ${SECRET_ENV}): anyone who reaches this port can publish to and read every topic\n`,
    );
  } else if (new TextEncoder().encode(config.secret).length < 32) {
    process.stderr.write('framewire: WARNING: --secret is shorter than 32 bytes; HS256 wants at least 32 random bytes\n');
  }
  // Always printed, even with --quiet: harnesses read the port from it.
  process.stderr.write(
    `framewire: hub on ws://${config.host.includes(':') ? `[${config.host}]` : config.host}:${hub.port}/topics/NAME (history ${config.history} per topic, ${hub.backend}, echo ${config.echo ? 'on' : 'off'})\nREADY\n`,
  );
  return hub;
}

/** Run the hub until SIGINT/SIGTERM; resolves with the exit code. */
export async function runHub(config: HubConfig): Promise<number> {
  const hub = await startHubCommand(config);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hub.close(2000);
  return 0;
}
