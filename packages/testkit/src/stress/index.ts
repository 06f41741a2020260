// The fault and stress suite (issue 15): checks that attack an echo server
// from outside over raw TCP, the runner that plays them and the command line.
export type { CheckContext, CheckId, CheckOutcome, StressCheck, StressVerdict } from './check.js';
export { CHECK_IDS } from './check.js';
export type { LaunchServer } from './command.js';
export { STRESS_RUNTIMES, stressMain, stressUsage } from './command.js';
export type { HandshakeVariant } from './handshake-variants.js';
export { malformedHandshakes, validRequest } from './handshake-variants.js';
export type { ProbeResult } from './probe.js';
export { probe } from './probe.js';
export { stressTable, writeStressJson } from './report.js';
export type { RssSample } from './rss.js';
export { readRssMiB, RssSampler, slopeMiBPerMinute } from './rss.js';
export type { CheckResult, ServerHandle, StressOptions, StressReport } from './runner.js';
export { runStress, selectChecks, STRESS_CHECKS } from './runner.js';
export type { Scale } from './scale.js';
export { applyScaleFlags, CI_SCALE, FULL_SCALE, SCALE_FLAGS } from './scale.js';
