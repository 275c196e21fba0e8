import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Small helpers shared by the command-line entry points: argument parsing with clear usage
 * errors (exit code 2), typed option values, and the "run main when executed" check.
 */

/** Bad command line or missing setup: the tool prints the message and the usage, exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly: unknown options and stray positionals are UsageErrors. */
export function parseCommandLine<O extends OptionSpec>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** An integer option in [min, max], or `fallback` when absent. */
export function intOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}

/**
 * Runs a command-line `main`: a UsageError prints the message and the usage and exits 2, any
 * other error prints its message (and cause) and exits 1; otherwise exits with main's code.
 */
export function runMain(main: () => Promise<number>, usage: string): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`error: ${err.message}\n\n${usage}\n`);
        process.exitCode = 2;
        return;
      }
      const error = err instanceof Error ? err : new Error(String(err));
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      process.stderr.write(`error: ${error.message}${cause}\n`);
      if (process.env.DEBUG) process.stderr.write(`${error.stack ?? ''}\n`);
      process.exitCode = 1;
    },
  );
}
