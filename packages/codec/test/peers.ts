// The rule for tests whose peer (Chromium, Python websockets, ws, Node 24,
// Deno, Bun) is missing: the run FAILS, unless FRAMEWIRE_ALLOW_SKIP=1 says
// skipping is fine on this machine, and then it says so loudly. Shared by
// every package's tests (vitest, bun test, deno test).

/** Whether this run may skip tests whose peer is missing. */
export function skipAllowed(): boolean {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env?.FRAMEWIRE_ALLOW_SKIP === '1';
  } catch {
    return false; // Deno without --allow-env for it: no permission to skip
  }
}

/**
 * Call when a peer is missing. Registers one failing test that names it
 * (with `register`, the runner's `it`/`test`), or warns when skipping is
 * allowed. Returns `true`: skip the peer's own tests either way.
 */
export function peerMissing(register: (name: string, fn: () => void) => unknown, what: string): true {
  if (skipAllowed()) {
    console.warn(`\n!!! SKIPPED (FRAMEWIRE_ALLOW_SKIP=1): ${what}\n`);
    return true;
  }
  register(`peer present: ${what}`, () => {
    throw new Error(`missing peer: ${what}. Install it (bash .ci/run does) or set FRAMEWIRE_ALLOW_SKIP=1 to skip.`);
  });
  return true;
}
