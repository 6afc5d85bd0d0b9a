import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLocalArgs } from '../../../lib/local/cli-args.ts';
import { UsageError } from '../../../lib/local/errors.ts';

describe('parseLocalArgs', () => {
  it('defaults to watch and the contract defaults, leaving whether to synth to the runtime (its fingerprint)', () => {
    // Act
    const options = parseLocalArgs([], {});

    // Assess
    expect(options).toEqual({ watch: true, quiet: false });
  });

  it('forces a synth with --synth', () => {
    // Act
    const options = parseLocalArgs(['--synth'], {});

    // Assess
    expect(options).toMatchObject({ synth: true });
  });

  it('reads every flag of the contract', () => {
    // Act
    const options = parseLocalArgs(
      ['--port', '0', '--aws-port', '4567', '--data-dir', 'd', '--state-file', 's.json', '--assembly', 'out', '--stack', 'S', '--no-synth', '--no-watch', '--quiet', '--max-environments', '6'],
      {},
    );

    // Assess
    expect(options).toEqual({ port: 0, awsPort: 4567, dataDir: 'd', stateFile: 's.json', assembly: 'out', stackNames: ['S'], synth: false, watch: false, quiet: true, maxEnvironmentsPerFunction: 6 });
  });

  it('takes several stacks from repeated and comma-separated --stack flags', () => {
    // Act
    const options = parseLocalArgs(['--stack', 'Api,Workers', '--stack', 'Stage/Tables'], {});

    // Assess
    expect(options).toMatchObject({ stackNames: ['Api', 'Workers', 'Stage/Tables'] });
  });

  it('reads --verbose and --log-format', () => {
    // Act
    const verbose = parseLocalArgs(['--verbose'], {});
    const json = parseLocalArgs(['--log-format', 'json', '--quiet'], {});

    // Assess
    expect(verbose).toMatchObject({ verbose: true, quiet: false });
    expect(json).toMatchObject({ logFormat: 'json', quiet: true });
  });

  it.each([
    [['--quiet', '--verbose'], /--quiet and --verbose contradict each other/],
    [['--log-format', 'text'], /--log-format must be pretty or json, got "text"/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseLocalArgs(argv, {})).toThrow(message);
  });

  it('returns help for -h and --help', () => {
    expect(parseLocalArgs(['-h'], {})).toBe('help');
    expect(parseLocalArgs(['--help'], {})).toBe('help');
  });

  it('reads faults from a file, the file winning over QUEUEFLOW_FAULTS', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'queueflow-faults-')), 'faults.json');
    writeFileSync(file, '{"transientFailureRate":0.2,"seed":42}');

    // Act
    const fromFile = parseLocalArgs(['--faults', file], { QUEUEFLOW_FAULTS: '{"transientFailureRate":0.9}' });
    const fromEnv = parseLocalArgs([], { QUEUEFLOW_FAULTS: '{"duplicateDeliveryRate":0.1}' });

    // Assess
    expect(fromFile).toMatchObject({ faults: { transientFailureRate: 0.2, seed: 42 } });
    expect(fromEnv).toMatchObject({ faults: { duplicateDeliveryRate: 0.1 } });
  });

  it.each([
    [['--nope'], /Unknown option '--nope'/],
    [['stray'], /positional/i],
    [['--port=-1'], /--port must be a port number from 0 to 65535, got "-1"/],
    [['--port', '3.5'], /--port must be a port number/],
    [['--aws-port', '65536'], /--aws-port must be a port number/],
    [['--data-dir', ' '], /--data-dir needs a non-empty value/],
    [['--stack', 'A,'], /--stack needs a non-empty stack name/],
    [['--max-environments', '0'], /--max-environments must be a whole number from 1 to 100, got "0"/],
    [['--max-environments', 'many'], /--max-environments must be a whole number/],
  ])('refuses %j with a UsageError', (args, message) => {
    // Act
    const act = () => parseLocalArgs(args, {});

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('names QUEUEFLOW_FAULTS when its content is invalid', () => {
    expect(() => parseLocalArgs([], { QUEUEFLOW_FAULTS: '{"transientFailureRate":2}' })).toThrow(/QUEUEFLOW_FAULTS/);
  });
});
