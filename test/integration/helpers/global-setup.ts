/**
 * Vitest global setup: synthesizes the CDK app into cdk.out once per test run, when cdk.out is
 * missing or older than the sources that shape it, so every integration suite can start the
 * runtime with `--no-synth` (seconds instead of a bundling synth each).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { synthesize } from '../../../lib/local/synth.ts';
import { PROJECT_DIR } from '../../../bench/lib/runtime.ts';

/** Sources whose change changes the template or the bundles. */
const SOURCES = ['cdk.json', 'lib/constructs', 'lambdas', 'sample'];

export default async function setup(): Promise<void> {
  // Unit-only runs (`vitest run test/unit test/cdk`) do not need an assembly.
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && !['run', 'watch', 'dev'].includes(arg));
  if (filters.length > 0 && filters.every((filter) => /test\/(unit|cdk)/.test(filter))) return;
  await synthIfStale(join(PROJECT_DIR, 'cdk.out'));
}

export async function synthIfStale(assemblyDir: string): Promise<void> {
  // In .queueflow/ (git-ignored), next to the runtime's other local state.
  mkdirSync(join(PROJECT_DIR, '.queueflow'), { recursive: true });
  const lock = join(PROJECT_DIR, '.queueflow', 'synth.lock');
  // Several test runs may share a work tree; one synthesizes while the others wait for it.
  for (let waited = 0; ; waited += 500) {
    if (!isStale(assemblyDir)) return;
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      if (waited > 300_000) rmSync(lock, { force: true });
      await sleep(500);
    }
  }
  try {
    if (isStale(assemblyDir)) await synthesize(PROJECT_DIR, assemblyDir);
  } finally {
    rmSync(lock, { force: true });
  }
}

function isStale(assemblyDir: string): boolean {
  const manifest = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifest)) return true;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.some((source) => newestMtime(join(PROJECT_DIR, source)) > built);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}
