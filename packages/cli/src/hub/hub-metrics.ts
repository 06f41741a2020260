/**
 * `framewire hub --metrics`: the hub's own counters, appended to the
 * WebSocket server's Prometheus text on `GET /metrics`. No label carries a
 * topic name, a token or a payload, so the page tells nothing about who
 * talks about what (it is not behind `--secret`; see the README).
 *
 * @module
 */
import type { BackendHealth } from './backend.js';

/** Where a publish came in. */
export type PublishSource = 'http' | 'ws';

/** Where a history read came from: `GET …/history`, or an upgrade with `?since=`. */
export type HistorySource = 'http' | 'since';

/** The hub's counters since it started. */
export class HubCounters {
  readonly publishes: Record<PublishSource, number> = { http: 0, ws: 0 };
  /** Publishes the log or broker refused (503 or close 1011). */
  publishFailures = 0;
  readonly historyReads: Record<HistorySource, number> = { http: 0, since: 0 };
  /** Refusals for credentials or rights: HTTP 401 / 403, and close 1008 for a socket publish without the right. */
  readonly authRefused = new Map<401 | 403 | 1008, number>();
  ticketsIssued = 0;
  ticketsUsed = 0;

  /** Count one credentials or rights refusal. */
  refused(status: 401 | 403 | 1008): void {
    this.authRefused.set(status, (this.authRefused.get(status) ?? 0) + 1);
  }
}

/** What {@link formatHubPrometheus} reads besides the counters. */
export interface HubGauges {
  /** Messages the hub wrote to subscribers (live fan-out counts once per subscriber, plus history replays). */
  readonly deliveries: number;
  /** Hub topics with a subscriber in this process. */
  readonly topics: number;
  readonly backend: BackendHealth;
}

/** The hub's families in the Prometheus text format (0.0.4), each with HELP and TYPE. */
export function formatHubPrometheus(counters: HubCounters, gauges: HubGauges): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: ReadonlyArray<readonly [string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  family('framewire_hub_publishes_total', 'counter', 'Messages published to the hub, by source (http: POST /topics/NAME, ws: a subscriber socket).', [
    ['{source="http"}', counters.publishes.http],
    ['{source="ws"}', counters.publishes.ws],
  ]);
  family('framewire_hub_publish_failures_total', 'counter', 'Publishes refused because the log or broker was unavailable.', [['', counters.publishFailures]]);
  family('framewire_hub_deliveries_total', 'counter', 'Messages written to subscribers (one per subscriber reached, plus history replays).', [['', gauges.deliveries]]);
  family('framewire_hub_history_reads_total', 'counter', 'History reads, by source (http: GET /topics/NAME/history, since: an upgrade with ?since=).', [
    ['{source="http"}', counters.historyReads.http],
    ['{source="since"}', counters.historyReads.since],
  ]);
  family(
    'framewire_hub_auth_refused_total',
    'counter',
    'Requests refused for credentials (401) or rights (403), and sockets closed 1008 for publishing without the right.',
    ([401, 403, 1008] as const).map((status) => [`{status="${status}"}`, counters.authRefused.get(status) ?? 0]),
  );
  family('framewire_hub_tickets_issued_total', 'counter', 'One-time tickets issued by POST /tickets.', [['', counters.ticketsIssued]]);
  family('framewire_hub_tickets_used_total', 'counter', 'One-time tickets redeemed by an upgrade.', [['', counters.ticketsUsed]]);
  family('framewire_hub_topics', 'gauge', 'Hub topics with a subscriber in this process.', [['', gauges.topics]]);
  family('framewire_hub_backend_up', 'gauge', '1 when the broker and the log (Redis, NATS) are connected; always 1 in memory.', [['', gauges.backend.ok ? 1 : 0]]);
  return `${lines.join('\n')}\n`;
}
