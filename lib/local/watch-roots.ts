/**
 * What hot reload watches: the folders named by the project's `cdk.json` `watch.include` (the
 * setting `cdk watch` reads), less its `watch.exclude`, so a CDK app's own layout decides, not a
 * folder name we guess. Without a `watch` setting, the project's top-level folders.
 *
 * Folders only, each watched recursively: a pattern is cut to its static prefix (`sample/**` →
 * `sample`, `src/*.ts` → `src`). Generated and installed folders are never watched, whatever the
 * patterns say: a synth writes `cdk.out`, and watching `node_modules` costs an inotify watch per
 * folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';

export const NEVER_WATCHED: ReadonlySet<string> = new Set(['node_modules', 'cdk.out', '.queueflow', '.git', 'dist', 'coverage']);
const GLOB_CHARACTER = /[*?[\]{}!]/;

interface WatchSettings {
  readonly include?: unknown;
  readonly exclude?: unknown;
}

/** The folders to watch, relative to `projectDir`, sorted; none that is inside another. */
export function watchRoots(projectDir: string): string[] {
  const settings = readWatchSettings(projectDir);
  const include = patterns(settings.include) ?? ['**'];
  const excluded = new Set((patterns(settings.exclude) ?? []).filter(coversWholeFolder).map((pattern) => staticPrefix(pattern)));
  const candidates = include.flatMap((pattern) => {
    const prefix = staticPrefix(pattern);
    return prefix === '' ? topLevelFolders(projectDir) : [prefix];
  });
  const roots = [...new Set(candidates)]
    .filter((folder) => !NEVER_WATCHED.has(folder.split(sep)[0]!) && !excluded.has(folder))
    .filter((folder) => isFolder(join(projectDir, folder)))
    .sort();
  return roots.filter((folder) => !roots.some((other) => other !== folder && folder.startsWith(`${other}${sep}`)));
}

function readWatchSettings(projectDir: string): WatchSettings {
  const file = join(projectDir, 'cdk.json');
  if (!existsSync(file)) return {};
  try {
    const watch = (JSON.parse(readFileSync(file, 'utf8')) as { watch?: unknown }).watch;
    return typeof watch === 'object' && watch !== null ? (watch as WatchSettings) : {};
  } catch {
    // An unreadable cdk.json fails the synth with the CDK CLI's own message; nothing to add here.
    return {};
  }
}

const patterns = (value: unknown): string[] | undefined =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;

/** `sample/lambdas/**` → `sample/lambdas`; `**` and `*.ts` → `` (the project folder itself). */
function staticPrefix(pattern: string): string {
  const segments = normalize(pattern.replace(/^\.\//, '')).split(/[\\/]/);
  const firstGlob = segments.findIndex((segment) => GLOB_CHARACTER.test(segment));
  const prefix = (firstGlob === -1 ? segments : segments.slice(0, firstGlob)).filter((segment) => segment !== '' && segment !== '.');
  return prefix.join(sep);
}

/** An exclusion of a whole folder (`test`, `test/**`), as opposed to some files in it. */
const coversWholeFolder = (pattern: string): boolean => {
  const rest = pattern.slice(staticPrefix(pattern).length).replace(/^[\\/]/, '');
  return staticPrefix(pattern) !== '' && (rest === '' || rest === '**');
};

function topLevelFolders(projectDir: string): string[] {
  return readdirSync(projectDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

/** Whether `path` is a folder; false when it does not exist (or vanished meanwhile). */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
