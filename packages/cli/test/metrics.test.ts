// `framewire serve --metrics`: GET /metrics on the same port answers the
// server's counters in the Prometheus text format, on Node, Bun and Deno.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { isMetricsRequest } from '../src/serve/metrics-endpoint.js';
import { record } from './helpers/client.js';
import { startCli, stopAll } from './helpers/cli.js';

afterEach(stopAll);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const binaries = { bun: `${root}node_modules/.bin/bun`, deno: `${root}node_modules/deno/deno` } as const;

/** The value of one sample line (`name{labels} value`), `undefined` when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('isMetricsRequest', () => {
  it('takes GET and HEAD of /metrics, any query, origin- or absolute-form', () => {
    expect(isMetricsRequest('GET', '/metrics')).toBe(true);
    expect(isMetricsRequest('HEAD', '/metrics?x=1')).toBe(true);
    expect(isMetricsRequest('GET', 'http://h:1/metrics')).toBe(true);
    expect(isMetricsRequest('POST', '/metrics')).toBe(false);
    expect(isMetricsRequest('GET', '/metrics/x')).toBe(false);
    expect(isMetricsRequest('GET', '/')).toBe(false);
  });
});

for (const runtime of ['node', 'bun', 'deno'] as const) {
  const binary = runtime === 'node' ? undefined : binaries[runtime];
  const present = binary === undefined || existsSync(binary);
  if (!present) peerMissing(it, `${binary} (pnpm install): framewire --runtime ${runtime}`);
  describe.skipIf(!present)(`serve --metrics on ${runtime}`, () => {
    it('counts a connection, its message and its close code; other plain requests still get 426', async () => {
      const cli = await startCli(['serve', '--runtime', runtime, '--port', '0', '--metrics', '--', 'sh', '-c', 'read line; echo "got $line"']);
      const client = await record(`ws://127.0.0.1:${cli.port}/`);
      client.session.send('x');
      await client.received(1);
      expect(client.messages).toEqual(['got x']);
      expect((await client.closed).code).toBe(1000);
      let text = '';
      for (let i = 0; i < 50 && sample(text, 'framewire_closes_total{code="1000"}') !== 1; i++) {
        const response = await fetch(`http://127.0.0.1:${cli.port}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        text = await response.text();
        if (sample(text, 'framewire_closes_total{code="1000"}') !== 1) await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toContain('# TYPE framewire_connections_accepted_total counter\n');
      expect(sample(text, 'framewire_connections_accepted_total')).toBe(1);
      expect(sample(text, 'framewire_connections_open')).toBe(0);
      expect(sample(text, 'framewire_messages_received_total')).toBe(1);
      expect(sample(text, 'framewire_messages_sent_total')).toBe(1);
      expect(sample(text, 'framewire_closes_total{code="1000"}')).toBe(1);
      const plain = await fetch(`http://127.0.0.1:${cli.port}/`);
      expect(plain.status).toBe(426);
      await plain.body?.cancel();
    });
  });
}

describe('serve without --metrics', () => {
  it('has no /metrics endpoint (426 as for any plain request)', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'cat']);
    const response = await fetch(`http://127.0.0.1:${cli.port}/metrics`);
    expect(response.status).toBe(426);
    await response.body?.cancel();
  });
});
