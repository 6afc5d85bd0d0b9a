/**
 * The local runtime of another commit, measured beside this one by `npm run bench -- --baseline
 * <ref>`: the commit's tree extracted with `git archive` (bench/lib/git-ref.ts) into a folder
 * with this project's node_modules linked in, its own sample synthesized by its own code (its
 * cdk.json app) with the bench's context, and started by its own `bin/queueflow.mjs local`
 * (bench/lib/runtime.ts) with only the launcher's flags that its `--help` lists.
 *
 * Same installed packages, fauxqs patches included: what differs is the commit's code.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { synthesize } from '../../lib/local/synth.ts';
import { UsageError } from '../../lib/shared/usage.ts';
import { checkRef, extractCommit, linkInstalledPackages } from './git-ref.ts';
import type { RuntimeOptions } from './runtime.ts';

const run = promisify(execFile);

/**
 * The baseline the docs suggest: the first commit whose sample's API throttles the bench's context
 * lifts (queueflow:apiKeyRateLimit …), with the runtime of before the emulators' worker thread
 * (1733ea2), the console and trace store, webhooks and ordered types.
 */
export const SUGGESTED_BASELINE_REF = '7313aac';

/**
 * Flags the launcher passes that the bench can do without on an older runtime: `--console-port`
 * (no console before 54d23d6) and `--log-format` (the baseline has no `onLine` reader). Any other
 * flag the runtime must know; if it does not, it refuses to start and says which.
 */
const OPTIONAL_FLAGS = ['--console-port', '--log-format'] as const;

/** The `flags` that `help` does not list (a flag is listed when it appears as a word: `--port` is not in `--aws-port`). */
export const unlistedFlags = (help: string, flags: readonly string[]): string[] =>
  flags.filter((flag) => !new RegExp(`(?<![\\w-])${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(help));

/**
 * The checked `--baseline` value, or undefined without one: a ref git cannot read as an option,
 * with a part to measure on it (load or saturation), and with the bench's own synth (both
 * runtimes then run with the API throttles lifted). Throws UsageError.
 */
export const baselineOption = (ref: string | undefined, others: { readonly skip: ReadonlySet<string>; readonly synth: boolean }): string | undefined => {
  if (ref === undefined) return undefined;
  let checked: string;
  try {
    checked = checkRef(ref);
  } catch (error) {
    throw new UsageError(`--baseline needs a git ref (a commit, tag or branch) such as ${SUGGESTED_BASELINE_REF}: ${(error as Error).message}`, { cause: error });
  }
  if (others.skip.has('load') && others.skip.has('saturation')) throw new UsageError('--baseline measures the load and saturation parts, and both are skipped');
  if (!others.synth) throw new UsageError('--baseline and --no-synth contradict each other: the baseline is synthesized with the throttles lifted, so this runtime must be too');
  return checked;
};

export interface BaselineRuntime {
  /** The full commit hash. */
  readonly commit: string;
  /** Its sample's assembly, synthesized by its own code. */
  readonly assemblyDir: string;
  /** The launcher flags it does not know, left out when it starts. */
  readonly omittedFlags: readonly string[];
  /** What `startRuntime` needs to start it (with a data folder of its own). */
  readonly launch: Pick<RuntimeOptions, 'projectDir' | 'bin' | 'omitFlags'>;
}

/**
 * Extracts `commit` into `dir`, synthesizes its sample with `context` (the `-c` values the bench
 * gives its own synth) and reads its `queueflow local --help` for the flags it knows.
 */
export async function prepareBaselineRuntime(commit: string, dir: string, context: Readonly<Record<string, string>>): Promise<BaselineRuntime> {
  await extractCommit(commit, dir);
  linkInstalledPackages(dir);
  const bin = join(dir, 'bin', 'queueflow.mjs');
  const help = await run(process.execPath, [bin, 'local', '--help'], { cwd: dir }).then(
    ({ stdout, stderr }) => stdout + stderr,
    (error: unknown) => {
      throw new Error(`the runtime at ${commit.slice(0, 7)} did not answer queueflow local --help: ${(error as Error).message}`, { cause: error });
    },
  );
  const assemblyDir = join(dir, 'cdk.out');
  await synthesize(dir, assemblyDir, context);
  const omittedFlags = unlistedFlags(help, OPTIONAL_FLAGS);
  return { commit, assemblyDir, omittedFlags, launch: { projectDir: dir, bin, omitFlags: omittedFlags } };
}
