/**
 * The one usage error of every command line in the project (the `queueflow` CLI, `queueflow
 * local`, the bench scripts), and the one way they parse arguments: node:util `parseArgs`, with
 * its errors turned into a {@link UsageError} whose message fits on one terminal line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The exit code of a command line the caller can fix, as `getopt` tools use it. */
export const USAGE_EXIT_CODE = 2;

/**
 * The command line is wrong: an unknown option, a missing or malformed value, a missing
 * argument. The message says what to type instead; the caller prints it (and the usage) and
 * exits with `exitCode`.
 */
export class UsageError extends Error {
  readonly exitCode: typeof USAGE_EXIT_CODE = USAGE_EXIT_CODE;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `parseArgs`, with every mistake on the command line thrown as a {@link UsageError}. A mistake in
 * `config` itself is a bug and is thrown as it is.
 *
 * @example
 * const { values } = parseCommandLine({ args: argv, options: { rate: { type: 'string' } } });
 */
export function parseCommandLine<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // The first sentences name the mistake; the rest is advice about `--` that only confuses.
    throw new UsageError((error as Error).message.split('. To specify')[0]!, { cause: error });
  }
}

/** What a numeric option accepts. */
export interface NumberOptionRange {
  /** Whole numbers only, written as digits. @default false */
  readonly integer?: boolean;
  /** Greater than 0 (and no `min` is needed). @default false */
  readonly positive?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** How the message names the value: `port number` gives "must be a port number from 0 to 65535". */
  readonly noun?: string;
}

/**
 * The number an option's text spells, or a {@link UsageError} that says what the option takes:
 * `--limit must be a whole number from 1 to 100, got "0"`.
 */
export function numberOption(flag: string, text: string, range: NumberOptionRange = {}): number {
  const { integer = false, positive = false, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = range;
  const value = Number(text);
  const spelled = integer ? /^\d+$/.test(text) : text.trim() !== '' && Number.isFinite(value);
  if (spelled && value >= min && value <= max && (!positive || value > 0)) return value;
  const noun = range.noun ?? (integer ? 'whole number' : 'number');
  const bounds = [range.min === undefined ? '' : ` from ${range.min}`, range.max === undefined ? '' : ` to ${range.max}`].join('');
  throw new UsageError(`${flag} must be ${positive ? `a positive ${noun}` : `a ${noun}`}${bounds}, got "${text}"`);
}
