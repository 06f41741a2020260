// The fan-out report's arithmetic: targets come from medians of the rounds,
// CPU efficiency is inverted (peer ÷ framewire), a missing row is n/a.
// Run: node --test bench/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fanoutTargets, renderFanoutMarkdown } from '../lib/fanout.mjs';

const rows = (rate, cpu) => ({ label: 'x', runtime: 'node', errors: [], reps: [rate, rate * 2, rate / 2].map((r) => ({ deliveriesPerSecond: r, cpuUsPerDelivery: cpu, serverCpuPct: 50 })) });

test('fan-out targets: medians, inverted CPU ratio, n/a without a peer row', () => {
  const bursts = { 'fw-node': rows(300, 1), 'ws-loop': rows(100, 4), 'fw-bun': rows(100, 2) };
  const results = { size: 128, mode: { reps: 3 }, scales: { 1000: { count: 10, bursts: { 1: bursts, 16: bursts }, memory: {}, errors: {} } } };
  const targets = fanoutTargets(results);
  const find = (text) => targets.find((t) => t.label.startsWith(text));
  assert.equal(find('deliveries/s · 1,000 subscribers · 1 per turn vs ws loop').ratio, 3);
  assert.equal(find('deliveries/s · 1,000 subscribers · 1 per turn vs ws loop').verdict, 'pass');
  assert.equal(find('CPU efficiency · 1,000 subscribers · 1 per turn vs ws loop').ratio, 4);
  assert.equal(find('deliveries/s · 1,000 subscribers · 1 per turn vs Bun native').verdict, 'n/a');
  results.targets = targets;
  const markdown = renderFanoutMarkdown(results);
  assert.match(markdown, /\| x `fw-node` \| 1 \| 300 \(150–600\) \|/);
  assert.match(markdown, /n\/a \| n\/a \|/);
});

test('fan-out floor table: each Node row\'s CPU per delivery over the raw-write floor; absent without a floor row', () => {
  const bursts = { 'fw-node': rows(300, 3), 'ws-loop': rows(100, 4), 'node-floor': rows(100, 2) };
  const results = { size: 128, mode: { reps: 3 }, scales: { 1000: { count: 10, bursts: { 1: bursts, 16: bursts }, memory: {}, errors: {} } } };
  results.targets = fanoutTargets(results);
  assert.match(renderFanoutMarkdown(results), /\| 1,000 · 1 per turn \| 2\.000 \| 1\.50× \| 2\.00× \|/);
  delete bursts['node-floor'];
  assert.doesNotMatch(renderFanoutMarkdown(results), /against the floor/);
});
