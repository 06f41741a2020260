// Deno-only behaviour of the raw-TCP server: the test sanitizers on an idle
// connection. What every adapter does (plain HTTP on the port included, in
// http-fallback.suite.ts) is in the shared behaviour suites
// (packages/codec/test/adapter-behaviour, run by behaviour.test.ts).
import assert from 'node:assert/strict';
import { connect } from '../src/index.ts';
import { closeSession, delay, startServer } from './helpers.ts';

Deno.test('an idle connection delivers nothing and holds no timer (sanitizers)', async () => {
  const { server, url } = await startServer();
  const ws = await connect(url);
  await delay(50);
  assert.equal(ws.readyState, 1);
  await closeSession(ws);
  await server.close();
});
