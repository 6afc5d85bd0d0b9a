/**
 * The code of another commit of this repository, for the bench's side-by-side measurements (the
 * bundles before the lean ones, bench/lib/bundles.ts; the runtime before a change,
 * bench/lib/baseline-runtime.ts): `git archive` of the commit extracted into a folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_DIR } from './runtime.ts';

const run = promisify(execFile);

/** A ref that git could read as an option (`--output=…`), or an empty one. */
export class GitRefError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitRefError';
  }
}

/** `ref` trimmed; throws GitRefError when it is empty or starts with `-` (git would read it as an option). */
export const checkRef = (ref: string): string => {
  const trimmed = ref.trim();
  if (trimmed === '') throw new GitRefError('an empty git ref');
  if (trimmed.startsWith('-')) throw new GitRefError(`"${ref}" is not a git ref (it starts with "-")`);
  return trimmed;
};

/** The full hash of the commit `ref` names in this repository; throws GitRefError when it names none. */
export const resolveCommit = async (ref: string): Promise<string> => {
  const checked = checkRef(ref);
  try {
    const { stdout } = await run('git', ['rev-parse', '--verify', '--quiet', `${checked}^{commit}`], { cwd: PROJECT_DIR });
    return stdout.trim();
  } catch (error) {
    throw new GitRefError(`"${checked}" names no commit of this repository`, { cause: error });
  }
};

/**
 * Extracts `paths` (files or folders; the whole tree when empty) of `commit` into `dir`, which is
 * emptied first.
 */
export const extractCommit = async (commit: string, dir: string, paths: readonly string[] = []): Promise<void> => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, '.commit.tar');
  await run('git', ['archive', '--format=tar', `--output=${archive}`, checkRef(commit), ...paths], { cwd: PROJECT_DIR });
  await run('tar', ['-xf', archive, '-C', dir]);
  rmSync(archive);
};

/** Links this project's node_modules into `dir`, so code extracted there resolves the installed packages. */
export const linkInstalledPackages = (dir: string): void => symlinkSync(join(PROJECT_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
