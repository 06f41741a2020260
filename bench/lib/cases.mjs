// What is measured and for how long. Every loop is bounded twice: by time
// (durationMs) and by count (maxMessages); the load generator also gives up
// on replies after a drain timeout.

/** Echo cases over loopback (binary messages, no compression offered). */
export const ECHO_CASES = [
  { key: 'seq32', title: 'Sequential round trips · 1 connection · 32 B', connections: 1, inFlight: 1, size: 32, opcode: 2, deflate: false },
  { key: 'pipe16', title: 'Pipelined · 1 connection · 64 in flight · 16 B', connections: 1, inFlight: 64, size: 16, opcode: 2, deflate: false },
  { key: 'pipe64k', title: 'Pipelined · 1 connection · 64 in flight · 64 KiB', connections: 1, inFlight: 64, size: 65536, opcode: 2, deflate: false },
  { key: 'conns100', title: '100 connections · 16 in flight each · 16 B', connections: 100, inFlight: 16, size: 16, opcode: 2, deflate: false },
  { key: 'pipe1m', title: 'Pipelined · 1 connection · 4 in flight · 1 MiB', connections: 1, inFlight: 4, size: 1048576, opcode: 2, deflate: false },
  { key: 'text16k', title: 'Pipelined · 1 connection · 16 in flight · 16 KiB JSON text, no deflate', connections: 1, inFlight: 16, size: 16384, opcode: 1, deflate: false },
];

/** permessage-deflate cases: 16 KiB JSON-like text, compression offered or not. */
export const DEFLATE_CASES = [
  { key: 'deflate-on', title: 'permessage-deflate on · 16 KiB JSON text · 1 connection · 16 in flight', connections: 1, inFlight: 16, size: 16384, opcode: 1, deflate: true },
  { key: 'deflate-off', title: 'compression off · 16 KiB JSON text · 1 connection · 16 in flight', connections: 1, inFlight: 16, size: 16384, opcode: 1, deflate: false },
];

/** Run lengths. `--quick` must finish in under 3 minutes on 2 cores. */
export const MODES = {
  quick: { reps: 3, warmupMs: 100, durationMs: 350, maxMessages: 20_000_000, idleConnections: 1000, memoryReps: 3, settleMs: 800 },
  full: { reps: 5, warmupMs: 300, durationMs: 1000, maxMessages: 100_000_000, idleConnections: 5000, memoryReps: 5, settleMs: 2000 },
};
