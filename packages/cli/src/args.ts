/**
 * Flag helpers on top of `node:util` `parseArgs` (which does the parsing):
 * number checks and the `--` split, each failing with one readable line.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

/** `parseArgs` options as the commands declare them. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommand} returns: flag values, positionals before `--`, and what follows `--`. */
export interface ParsedCommand<Values> {
  values: Values;
  positionals: string[];
  /** The words after `--`, untouched (PROGRAM and its arguments). */
  rest: string[];
}

/** Parse `args` strictly against `options`; a bad flag becomes a {@link CliError} naming the command. */
export function parseCommand<const O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
): ParsedCommand<ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true; tokens: true }>>['values']> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message} (see \`framewire ${command} --help\`)`);
  }
  const terminator = parsed.tokens.find((token) => token.kind === 'option-terminator');
  const positionals: string[] = [];
  const rest: string[] = [];
  for (const token of parsed.tokens) {
    if (token.kind !== 'positional') continue;
    if (terminator !== undefined && token.index > terminator.index) rest.push(token.value);
    else positionals.push(token.value);
  }
  return { values: parsed.values, positionals, rest };
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function integerFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new CliError(`--${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** A duration flag in seconds (fractions allowed), returned in ms. */
export function secondsFlag(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) {
    throw new CliError(`--${name}: expected seconds from 0 to 86400, got ${JSON.stringify(value)}`);
  }
  return Math.round(seconds * 1000);
}

/** A `--port` value: 0 picks a free port. */
export function portFlag(value: string | undefined, fallback: number): number {
  return integerFlag('port', value, fallback, 0, 65_535);
}
