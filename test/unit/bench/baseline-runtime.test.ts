/**
 * `npm run bench -- --baseline <ref>`: the option's checks, which launcher flags an older runtime
 * goes without (bench/lib/baseline-runtime.ts), and refs git could read as options
 * (bench/lib/git-ref.ts).
 */
import { describe, expect, it } from 'vitest';
import { baselineOption, unlistedFlags } from '../../../bench/lib/baseline-runtime.ts';
import { GitRefError, checkRef, resolveCommit } from '../../../bench/lib/git-ref.ts';
import { UsageError } from '../../../lib/shared/usage.ts';

const defaults = { skip: new Set<string>(), synth: true };

describe('baselineOption', () => {
  it('is undefined without --baseline, and the ref trimmed with it', () => {
    expect(baselineOption(undefined, defaults)).toBeUndefined();
    expect(baselineOption(' 7313aac ', defaults)).toBe('7313aac');
  });

  it.each(['', '  ', '--output=/tmp/x', '-c'])('refuses %j, which is no ref or which git would read as an option', (ref) => {
    expect(() => baselineOption(ref, defaults)).toThrow(UsageError);
    expect(() => baselineOption(ref, defaults)).toThrow(/--baseline needs a git ref/);
  });

  it('refuses a baseline with nothing to measure on it', () => {
    expect(() => baselineOption('7313aac', { ...defaults, skip: new Set(['load', 'saturation']) })).toThrow(/both are skipped/);
    expect(baselineOption('7313aac', { ...defaults, skip: new Set(['load', 'bundles']) })).toBe('7313aac');
  });

  it('refuses --no-synth, which would compare a throttled runtime with an unthrottled one', () => {
    expect(() => baselineOption('7313aac', { ...defaults, synth: false })).toThrow(/--no-synth/);
  });
});

describe('unlistedFlags', () => {
  const oldHelp = `Options:
  --port <n>          REST API port on 127.0.0.1 (default 3000; 0 picks a free port)
  --aws-port <n>      AWS endpoint port
  --log-format <f>    pretty (default) or json
`;

  it('finds the flags the help does not list', () => {
    expect(unlistedFlags(oldHelp, ['--console-port', '--log-format', '--port'])).toEqual(['--console-port']);
  });

  it('does not take a flag for listed when it is only part of another (--port in --aws-port)', () => {
    expect(unlistedFlags('  --aws-port <n>  the endpoint\n  --console-port <n>\n', ['--port'])).toEqual(['--port']);
    expect(unlistedFlags('  --log-format-x <f>\n', ['--log-format'])).toEqual(['--log-format']);
  });
});

describe('git refs', () => {
  it('refuses a ref git would read as an option before running git', async () => {
    expect(() => checkRef('--output=/tmp/x')).toThrow(GitRefError);
    await expect(resolveCommit('--output=/tmp/x')).rejects.toThrow(/starts with "-"/);
  });

  it('resolves a commit of this repository to its full hash, and refuses one that is not there', async () => {
    const head = await resolveCommit('HEAD');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    await expect(resolveCommit(head.slice(0, 12))).resolves.toBe(head);
    await expect(resolveCommit('no-such-ref-queueflow')).rejects.toThrow(/names no commit/);
  });
});
