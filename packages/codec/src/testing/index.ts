/**
 * Test helpers for users who fuzz their own applications: fast-check
 * arbitraries, an in-memory transport pair and a manual clock.
 *
 * @packageDocumentation
 */
export {};
