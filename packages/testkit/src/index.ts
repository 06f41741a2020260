// @framewire/testkit: a black-box conformance suite for WebSocket servers and clients.
export type { Area, Case, CaseContext, Mode, OpenOptions, RawConnection } from './case.js';
export { AREAS, CaseEnd } from './case.js';
export { catalogue } from './cases/index.js';
export type { FrameSpec, ParsedFrame } from './frames.js';
export { buildFrame, closePayload, FrameParser, Opcode } from './frames.js';
export type { CaseResult, RunOptions, RunReport } from './result.js';
export { matchesFilter } from './result.js';
export type { ServerRunOptions } from './runner-server.js';
export { runServerSuite, serverCases } from './runner-server.js';
export type { ClientRunOptions } from './runner-client.js';
export { clientCases, runClientSuite } from './runner-client.js';
export type { Outcome, Verdict, VerdictCounts } from './verdict.js';
export { countVerdicts, VERDICTS } from './verdict.js';
