// Every shared adapter behaviour suite, in one call for each runtime's fixture.
import { apiGapsSuite } from './api-gaps.suite.js';
import { backpressureSuite } from './backpressure.suite.js';
import { clientErrorsSuite } from './client-errors.suite.js';
import type { AdapterFixture } from './fixture.js';
import { handshakeSuite } from './handshake.suite.js';
import { hostileSuite } from './hostile.suite.js';
import { httpFallbackSuite } from './http-fallback.suite.js';
import { messagesSuite } from './messages.suite.js';
import { proxySuite } from './proxy.suite.js';
import { reconnectSuite } from './reconnect.suite.js';
import { shutdownSuite } from './shutdown.suite.js';
import { streamingSuite } from './streaming.suite.js';
import { tlsSuite } from './tls.suite.js';
import { topicsSuite } from './topics.suite.js';

export function allSuites(fixture: AdapterFixture): void {
  messagesSuite(fixture);
  handshakeSuite(fixture);
  clientErrorsSuite(fixture);
  backpressureSuite(fixture);
  shutdownSuite(fixture);
  tlsSuite(fixture);
  hostileSuite(fixture);
  proxySuite(fixture);
  httpFallbackSuite(fixture);
  topicsSuite(fixture);
  reconnectSuite(fixture);
  apiGapsSuite(fixture);
  streamingSuite(fixture);
}
