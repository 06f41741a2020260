/**
 * The Prometheus text exposition format (version 0.0.4) for a server's
 * {@link ServerMetrics}: `# HELP` and `# TYPE` lines, counters ending in
 * `_total`, label values escaped. No dependency.
 *
 * @module
 */
import type { ServerMetrics } from './server-metrics.js';

/** The `Content-Type` of {@link formatPrometheus}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A label value as the format writes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: ReadonlyArray<readonly [string, string]>): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/**
 * Format `metrics` for a `/metrics` endpoint. `labels` go on every sample
 * (`{ server: 'chat' }` tells servers of one process apart).
 *
 * @throws TypeError for a label name the format does not allow, or one the
 * metrics use themselves (`status`, `reason`, `code`, `stage`).
 *
 * @example
 * ```ts
 * new Response(formatPrometheus(server.metrics(), { server: 'chat' }), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } })
 * ```
 */
export function formatPrometheus(metrics: ServerMetrics, labels: Readonly<Record<string, string>> = {}): string {
  const base = Object.entries(labels);
  for (const [name] of base) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'status' || name === 'reason' || name === 'code' || name === 'stage') {
      throw new TypeError(`invalid Prometheus label name: ${JSON.stringify(name)}`);
    }
  }
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: ReadonlyArray<readonly [Array<readonly [string, string]>, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [extra, value] of samples) lines.push(`${name}${labelText([...base, ...extra])} ${value}`);
  };
  const one = (value: number): Array<readonly [Array<readonly [string, string]>, number]> => [[[], value]];
  family('framewire_connections_open', 'gauge', 'Open WebSocket connections.', one(metrics.connections));
  family('framewire_connections_accepted_total', 'counter', 'WebSocket upgrades accepted.', one(metrics.connectionsTotal));
  family('framewire_handshakes_pending', 'gauge', 'Upgrades in progress.', one(metrics.handshakesPending));
  family(
    'framewire_handshakes_refused_total',
    'counter',
    'Upgrades refused, by HTTP status and reason.',
    metrics.handshakesRefused.map((r) => [[['status', String(r.status)], ['reason', r.reason]], r.count]),
  );
  family('framewire_messages_received_total', 'counter', 'WebSocket messages received.', one(metrics.messagesIn));
  family('framewire_messages_sent_total', 'counter', 'WebSocket messages sent (publishes count once per subscriber).', one(metrics.messagesOut));
  family('framewire_bytes_received_total', 'counter', 'Bytes read from the wire after the upgrade.', one(metrics.bytesIn));
  family('framewire_bytes_sent_total', 'counter', 'Bytes written to the wire after the upgrade.', one(metrics.bytesOut));
  family(
    'framewire_closes_total',
    'counter',
    'Closed connections, by close code.',
    metrics.closeCodes.map((c) => [[['code', String(c.code)]], c.count]),
  );
  // Ratios are left to the query (rate(compressed) / rate(uncompressed)): counters stay counters.
  family(
    'framewire_deflate_bytes_received_total',
    'counter',
    'permessage-deflate payload bytes received, as they came (stage="compressed") and inflated (stage="uncompressed").',
    [
      [[['stage', 'compressed']], metrics.deflate.inCompressed],
      [[['stage', 'uncompressed']], metrics.deflate.inUncompressed],
    ],
  );
  family(
    'framewire_deflate_bytes_sent_total',
    'counter',
    'permessage-deflate payload bytes sent, before (stage="uncompressed") and after deflate (stage="compressed").',
    [
      [[['stage', 'uncompressed']], metrics.deflate.outUncompressed],
      [[['stage', 'compressed']], metrics.deflate.outCompressed],
    ],
  );
  return `${lines.join('\n')}\n`;
}
