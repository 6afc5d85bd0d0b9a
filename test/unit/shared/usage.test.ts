/** The project's one command-line convention: parseArgs mistakes and bad numbers become a UsageError (exit 2). */
import { describe, expect, it } from 'vitest';
import { USAGE_EXIT_CODE, UsageError, numberOption, parseCommandLine } from '../../../lib/shared/usage.ts';

const options = { port: { type: 'string' }, quiet: { type: 'boolean' } } as const;

describe('parseCommandLine', () => {
  it('returns what parseArgs returns for a good command line', () => {
    // Act
    const { values } = parseCommandLine({ args: ['--port', '3000', '--quiet'], options });

    // Assess
    expect(values).toEqual({ port: '3000', quiet: true });
  });

  it.each([
    [['--nope'], "Unknown option '--nope'"],
    [['--port'], "Option '--port <value>' argument missing"],
    [['stray'], "Unexpected argument 'stray'. This command does not take positional arguments"],
  ])('turns %j into a one-line UsageError: %s', (args, message) => {
    // Act
    const act = () => parseCommandLine({ args, options });

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(new UsageError(message));
  });

  it('keeps the advice about -- out of the message and the parseArgs error as the cause', () => {
    // Act
    let caught: unknown;
    try {
      parseCommandLine({ args: ['--nope'], options, allowPositionals: true });
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).not.toContain('To specify');
    expect((caught as UsageError).exitCode).toBe(USAGE_EXIT_CODE);
    expect((caught as UsageError).name).toBe('UsageError');
    expect(((caught as UsageError).cause as { code?: string }).code).toBe('ERR_PARSE_ARGS_UNKNOWN_OPTION');
  });

  it('throws a mistake in the configuration as it is: a bug, not a usage error', () => {
    // Act
    const act = () => parseCommandLine({ args: [], options: { port: { type: 'number' as 'string' } } });

    // Assess
    expect(act).toThrow(TypeError);
    expect(act).not.toThrow(UsageError);
  });
});

describe('numberOption', () => {
  it.each([
    ['--limit', '5', { integer: true, min: 1, max: 100 }, 5],
    ['--rate', '0.25', { min: 0, max: 1, noun: 'rate' }, 0.25],
    ['--duration', '2.5', { positive: true }, 2.5],
  ])('reads %s %s', (flag, text, range, expected) => {
    expect(numberOption(flag, text, range)).toBe(expected);
  });

  it.each([
    ['--limit', '0', { integer: true, min: 1, max: 100 }, '--limit must be a whole number from 1 to 100, got "0"'],
    ['--limit', '1.5', { integer: true, min: 1, max: 100 }, '--limit must be a whole number from 1 to 100, got "1.5"'],
    ['--port', '-1', { integer: true, min: 0, max: 65_535, noun: 'port number' }, '--port must be a port number from 0 to 65535, got "-1"'],
    ['--rate', '2', { min: 0, max: 1, noun: 'rate' }, '--rate must be a rate from 0 to 1, got "2"'],
    ['--events', 'x', { positive: true, integer: true }, '--events must be a positive whole number, got "x"'],
    ['--duration', '0', { positive: true }, '--duration must be a positive number, got "0"'],
    ['--duration', ' ', { positive: true }, '--duration must be a positive number, got " "'],
  ])('refuses %s %j with a UsageError that says what it takes', (flag, text, range, message) => {
    // Act
    const act = () => numberOption(flag, text, range);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});
