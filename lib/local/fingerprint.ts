/**
 * Whether the cloud assembly is up to date with what shapes it, so `queueflow local` can skip
 * `cdk synth` at start-up (about a second instead of a synth's several).
 *
 * The fingerprint is a SHA-256 over the contents of every file under the watch roots (the folders
 * cdk.json `watch.include` names; hot reload watches the same), the files at the top of the
 * project (cdk.json, cdk.context.json, the lock file, package.json, tsconfig.json, an app file
 * such as app.ts), the user's ~/.cdk.json context, the environment variables the CDK CLI reads
 * (CDK_*, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE), the `-c` context of the synth and the
 * assembly folder's path. Contents, not sizes and mtimes: a checkout or `touch` changes mtimes
 * without changing anything, an edit within the same second can keep both, and hashing a
 * project's sources takes milliseconds.
 *
 * A successful synth records it, with a hash of the assembly it wrote (manifest and templates),
 * in `.queueflow/fingerprints/`; the assembly counts as up to date when both still match, so an
 * assembly rewritten by something else (`cdk synth` with other context) is not trusted either.
 * Not covered: installed packages changed without a lock-file change (e.g. `npm link`); `--synth`
 * forces a synth for those.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { NEVER_WATCHED, watchRoots } from './watch-roots.ts';

const ENVIRONMENT = /^(CDK_|AWS_REGION$|AWS_DEFAULT_REGION$|AWS_PROFILE$)/;

interface FingerprintRecord {
  readonly fingerprint: string;
  readonly assembly: string;
}

/** The fingerprint of what shapes the assembly at `assemblyDir`, as it is now. */
export function assemblyFingerprint(projectDir: string, assemblyDir: string, context: Readonly<Record<string, string>> = {}): string {
  const hash = createHash('sha256');
  hash.update(`assembly\0${resolve(assemblyDir)}\0`);
  for (const [key, value] of Object.entries(context).sort()) hash.update(`context\0${key}=${value}\0`);
  for (const [name, value] of Object.entries(process.env).filter(([name]) => ENVIRONMENT.test(name)).sort()) hash.update(`env\0${name}=${value}\0`);
  const userContext = join(homedir(), '.cdk.json');
  const files = [...topLevelFiles(projectDir), ...watchRoots(projectDir).flatMap((root) => filesUnder(join(projectDir, root)))];
  for (const file of files.sort()) hashFile(hash, relative(projectDir, file), file);
  if (existsSync(userContext)) hashFile(hash, '~/.cdk.json', userContext);
  return hash.digest('hex');
}

/** True when a synth recorded `fingerprint` for this assembly and the assembly is the one it wrote. */
export function isAssemblyUpToDate(projectDir: string, assemblyDir: string, fingerprint: string): boolean {
  const file = recordFile(projectDir, assemblyDir);
  if (!existsSync(file) || !existsSync(join(assemblyDir, 'manifest.json'))) return false;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as FingerprintRecord;
    return record.fingerprint === fingerprint && record.assembly === assemblyHash(assemblyDir);
  } catch {
    return false;
  }
}

/** Records, after a successful synth, the fingerprint its inputs had when it started. */
export function recordFingerprint(projectDir: string, assemblyDir: string, fingerprint: string): void {
  const file = recordFile(projectDir, assemblyDir);
  mkdirSync(join(file, '..'), { recursive: true });
  const record: FingerprintRecord = { fingerprint, assembly: assemblyHash(assemblyDir) };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

/** One record per assembly folder: tests and benchmarks synthesize into their own. */
function recordFile(projectDir: string, assemblyDir: string): string {
  const id = createHash('sha256').update(resolve(assemblyDir)).digest('hex').slice(0, 16);
  return join(projectDir, '.queueflow', 'fingerprints', `${id}.json`);
}

/** The manifest and the templates: what the runtime reads (asset folders are named by their content hash). */
function assemblyHash(assemblyDir: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(assemblyDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && (entry.name === 'manifest.json' || entry.name.endsWith('.template.json')))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(assemblyDir, file).split(/[\\/]/).some((segment) => segment.startsWith('asset.')));
  for (const file of files.sort()) hashFile(hash, relative(assemblyDir, file), file);
  return hash.digest('hex');
}

function hashFile(hash: Hash, name: string, file: string): void {
  hash.update(`file\0${name}\0`);
  try {
    hash.update(readFileSync(file));
  } catch {
    // Deleted between the listing and the read: the name alone still tells it apart.
  }
  hash.update('\0');
}

function topLevelFiles(projectDir: string): string[] {
  return readdirSync(projectDir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(projectDir, entry.name));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (NEVER_WATCHED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}
