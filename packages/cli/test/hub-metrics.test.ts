// `framewire hub --metrics`: GET /metrics on the real hub process, counting
// what real clients did (publishes by source, deliveries, history reads,
// auth refusals by status, tickets), with and without --secret.
import { connect, HandshakeStatusError } from '@framewire/node-adapter';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './helpers/client.js';
import { startCli, stopAll, type RunningCli } from './helpers/cli.js';

afterEach(stopAll);

const SECRET = 'metrics-secret-0123456789-abcdefghijklmn';
const ws = (cli: RunningCli, path: string): string => `ws://127.0.0.1:${cli.port}${path}`;
const http = (cli: RunningCli, path: string): string => `http://127.0.0.1:${cli.port}${path}`;

function token(permissions: unknown): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ permissions }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + 300).sign(new TextEncoder().encode(SECRET));
}

/** The value of one sample (`name{labels}`) of the /metrics page. */
async function scrape(cli: RunningCli): Promise<(sample: string) => number | undefined> {
  const response = await fetch(http(cli, '/metrics'));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return (sample) => values.get(sample);
}

async function upgradeStatus(url: string): Promise<number> {
  try {
    (await connect(url)).close(1000);
    return 101;
  } catch (error) {
    if (error instanceof HandshakeStatusError) return error.status;
    throw error;
  }
}

describe('hub --metrics', () => {
  it('is off without --metrics (404), and counts publishes by source, deliveries, history reads', async () => {
    const off = await startCli(['hub', '--port', '0', '--quiet']);
    expect((await fetch(http(off, '/metrics'))).status).toBe(404);

    const cli = await startCli(['hub', '--port', '0', '--quiet', '--metrics']);
    const a = await record(ws(cli, '/topics/t'));
    const b = await record(ws(cli, '/topics/t'), { protocols: ['framewire.v1'] });
    const first = (await (await fetch(http(cli, '/topics/t'), { method: 'POST', body: 'one', headers: { 'Content-Type': 'text/plain' } })).json()) as { id: string };
    await Promise.all([a.received(1), b.received(1)]);
    a.session.send('two'); // reaches b only (no --echo)
    await b.received(2);
    await (await fetch(http(cli, '/topics/t/history'))).text();
    const resumed = await record(ws(cli, `/topics/t?since=${first.id}`));
    await resumed.received(1); // 'two' from the history

    const value = await scrape(cli);
    expect(value('framewire_hub_publishes_total{source="http"}')).toBe(1);
    expect(value('framewire_hub_publishes_total{source="ws"}')).toBe(1);
    // one → a and b; two → b; the history replay of two → resumed.
    expect(value('framewire_hub_deliveries_total')).toBe(4);
    expect(value('framewire_hub_history_reads_total{source="http"}')).toBe(1);
    expect(value('framewire_hub_history_reads_total{source="since"}')).toBe(1);
    expect(value('framewire_hub_topics')).toBe(1);
    expect(value('framewire_hub_backend_up')).toBe(1);
    expect(value('framewire_hub_publish_failures_total')).toBe(0);
    // The server's own families come first on the same page.
    expect(value('framewire_connections_open')).toBe(3);
    expect(value('framewire_messages_received_total')).toBe(1);
  });

  it('with --secret: /metrics needs no token; refusals counted by status (401, 403, close 1008), tickets issued and used', async () => {
    const cli = await startCli(['hub', '--port', '0', '--quiet', '--metrics', '--secret', SECRET]);
    const reader = await token({ news: { subscribe: true } });
    expect(await upgradeStatus(ws(cli, '/topics/news'))).toBe(401);
    expect(await upgradeStatus(ws(cli, `/topics/secret?token=${reader}`))).toBe(403);
    expect((await fetch(http(cli, '/topics/news'), { method: 'POST', body: 'x', headers: { Authorization: `Bearer ${reader}` } })).status).toBe(403);
    const tickets = await fetch(http(cli, '/tickets'), { method: 'POST', headers: { Authorization: `Bearer ${reader}` } });
    expect(tickets.status).toBe(201);
    const { ticket } = (await tickets.json()) as { ticket: string };
    const subscriber = await record(ws(cli, `/topics/news?ticket=${ticket}`));
    expect(await upgradeStatus(ws(cli, `/topics/news?ticket=${ticket}`))).toBe(401); // used once already
    subscriber.session.send('no right to publish');
    expect((await subscriber.closed).code).toBe(1008);

    const value = await scrape(cli);
    expect(value('framewire_hub_auth_refused_total{status="401"}')).toBe(2);
    expect(value('framewire_hub_auth_refused_total{status="403"}')).toBe(2);
    expect(value('framewire_hub_auth_refused_total{status="1008"}')).toBe(1);
    expect(value('framewire_hub_tickets_issued_total')).toBe(1);
    expect(value('framewire_hub_tickets_used_total')).toBe(1);
    expect(value('framewire_hub_publishes_total{source="ws"}')).toBe(0);
  });
});
