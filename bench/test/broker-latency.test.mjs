// The broker latency bench end to end, tiny: real redis-server and nats-server, one round of 20 messages.
// Needs `pnpm build`. Run: node --test bench/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBrokerLatency } from '../broker-latency.mjs';

test('broker latency: one tiny round gives p50 ≤ p99 for Redis, NATS and the floor', { timeout: 120_000 }, async () => {
  const { rows, report } = await runBrokerLatency({ rounds: 1, count: 20 });
  assert.deepEqual(rows.map((row) => row.kind), ['redis', 'nats', 'local']);
  for (const row of rows) {
    assert.ok(row.p50.median > 0 && row.p50.median <= row.p99.median, `${row.kind}: p50 ${row.p50.median} p99 ${row.p99.median}`);
  }
  assert.match(report, /\| Redis pub\/sub \(RedisBroker\)/);
  assert.match(report, /\| NATS core \(NatsBroker\)/);
});
