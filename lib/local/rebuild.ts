/**
 * Rebuilds function bundles without `cdk synth`: one incremental esbuild context per function
 * whose Metadata records its bundling (`queueflow:bundling`, see recordLocalBundling), with the
 * options NodejsFunction gave esbuild, writing to a folder the runtime owns
 * (`.queueflow/bundles/<function>/`), never into cdk.out, whose asset folders are named by the
 * hash of their content.
 *
 * Each build's metafile says which files the bundle was made from; a change to one of them
 * rebuilds exactly the bundles that include it, and esbuild re-parses only what changed.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { context, type BuildContext, type BuildOptions, type Message } from 'esbuild';
import type { LocalBundling, LocalFunction } from './model.ts';

/** esbuild refused to build a bundle (a syntax or import error in the source): the message is esbuild's. */
export class BundleBuildError extends Error {
  constructor(functionName: string, errors: readonly Message[], options?: ErrorOptions) {
    const detail = errors.map((error) => (error.location ? `${error.location.file}:${error.location.line}:${error.location.column}: ${error.text}` : error.text));
    super(`${functionName}: ${detail.join('; ') || 'esbuild failed'}`, options);
    this.name = 'BundleBuildError';
  }
}

interface Tracked {
  /** The latest definition (a synth may change its environment, not its bundling). */
  fn: LocalFunction;
  /** The recorded bundling as JSON: a synth that changes it starts a new context. */
  readonly key: string;
  readonly outDir: string;
  readonly context: BuildContext<{ metafile: true }>;
  /** Absolute paths of the files the last successful build read. */
  inputs: ReadonlySet<string>;
  /** Settles when the first build has finished; until then `inputs` is empty. */
  readonly indexed: Promise<void>;
}

export interface RebuildOutcome {
  /** The folder each rebuilt function's new bundle is in, by logical id. */
  readonly built: ReadonlyMap<string, string>;
  readonly failed: readonly BundleBuildError[];
}

/**
 * @example
 * const rebuilder = new BundleRebuilder(join(projectDir, '.queueflow', 'bundles'));
 * await rebuilder.track(model.functions);
 * const affected = rebuilder.affectedBy(['/app/lambdas/handlers/email.ts']);
 * const { built } = await rebuilder.rebuild(affected);
 */
export class BundleRebuilder {
  readonly #bundlesDir: string;
  readonly #tracked = new Map<string, Tracked>();

  constructor(bundlesDir: string) {
    this.#bundlesDir = bundlesDir;
  }

  /**
   * Follows the functions that record their bundling: a context for each new one or one whose
   * bundling changed (its first build runs now, to learn its inputs), none for the others. Returns
   * the logical ids whose context is new; resolves once their first builds have finished.
   */
  async track(functions: readonly LocalFunction[]): Promise<string[]> {
    const wanted = new Map(functions.filter((fn) => fn.bundling).map((fn) => [fn.logicalId, fn]));
    const stale = [...this.#tracked.values()].filter((tracked) => wanted.get(tracked.fn.logicalId) === undefined || tracked.key !== JSON.stringify(wanted.get(tracked.fn.logicalId)!.bundling));
    for (const tracked of stale) this.#tracked.delete(tracked.fn.logicalId);
    await Promise.all(stale.map((tracked) => tracked.context.dispose()));
    const added: Tracked[] = [];
    for (const fn of wanted.values()) {
      const tracked = this.#tracked.get(fn.logicalId);
      if (tracked) tracked.fn = fn;
      else added.push(await this.#start(fn));
    }
    await Promise.all(added.map((tracked) => tracked.indexed));
    return added.map((tracked) => tracked.fn.logicalId);
  }

  /** Resolves once every tracked bundle knows its inputs. */
  async indexed(): Promise<void> {
    await Promise.all([...this.#tracked.values()].map((tracked) => tracked.indexed));
  }

  /** True when `file` (absolute) is an input of some tracked bundle. */
  isInput(file: string): boolean {
    return [...this.#tracked.values()].some((tracked) => tracked.inputs.has(file));
  }

  /** The tracked functions one of whose inputs is among `files` (absolute paths). */
  affectedBy(files: Iterable<string>): LocalFunction[] {
    const changed = [...files];
    return [...this.#tracked.values()].filter((tracked) => changed.some((file) => tracked.inputs.has(file))).map((tracked) => tracked.fn);
  }

  /** The folder a tracked function's bundle is written to, or undefined for an untracked one. */
  outDirOf(logicalId: string): string | undefined {
    return this.#tracked.get(logicalId)?.outDir;
  }

  /** Rebuilds the bundles of `functions` (tracked ones; others are ignored) in parallel. */
  async rebuild(functions: readonly LocalFunction[]): Promise<RebuildOutcome> {
    const built = new Map<string, string>();
    const failed: BundleBuildError[] = [];
    await Promise.all(
      functions.map(async (fn) => {
        const tracked = this.#tracked.get(fn.logicalId);
        if (!tracked) return;
        try {
          await this.#build(tracked);
          built.set(fn.logicalId, tracked.outDir);
        } catch (error) {
          failed.push(error instanceof BundleBuildError ? error : new BundleBuildError(fn.name, [], { cause: error }));
        }
      }),
    );
    return { built, failed };
  }

  async dispose(): Promise<void> {
    const tracked = [...this.#tracked.values()];
    this.#tracked.clear();
    await Promise.all(tracked.map((entry) => entry.context.dispose()));
  }

  async #start(fn: LocalFunction): Promise<Tracked> {
    const bundling = fn.bundling!;
    const outDir = join(this.#bundlesDir, fn.name.replace(/[^A-Za-z0-9._-]/g, '_'));
    rmSync(outDir, { recursive: true, force: true });
    const tracked: Omit<Tracked, 'indexed'> & { indexed: Promise<void> } = {
      fn,
      key: JSON.stringify(bundling),
      outDir,
      context: await context({ ...buildOptions(bundling, outDir), metafile: true }),
      inputs: new Set(),
      indexed: Promise.resolve(),
    };
    // A first build that fails (the source is broken right now) leaves no inputs but the entry: fixing it rebuilds.
    tracked.inputs = new Set([bundling.entry]);
    tracked.indexed = this.#build(tracked).catch(() => undefined);
    this.#tracked.set(fn.logicalId, tracked);
    return tracked;
  }

  async #build(tracked: Tracked): Promise<void> {
    let result;
    try {
      result = await tracked.context.rebuild();
    } catch (error) {
      const errors = (error as { errors?: Message[] }).errors ?? [];
      throw new BundleBuildError(tracked.fn.name, errors, { cause: error });
    }
    const workingDir = tracked.fn.bundling!.workingDir;
    // Keep the last inputs too: a file removed from the graph by this build may be put back.
    tracked.inputs = new Set([...tracked.inputs, ...Object.keys(result.metafile.inputs).map((input) => resolve(workingDir, input.replace(/^[a-z-]+:/, '')))]);
  }
}

/** The recorded options as esbuild's build options; `buildEsbuildArgs` of aws-cdk-lib is the model. */
function buildOptions(bundling: LocalBundling, outDir: string): BuildOptions {
  const { external, mainFields, ...esbuild } = bundling.esbuild;
  return {
    ...esbuild,
    ...(external ? { external: [...external] } : {}),
    ...(mainFields ? { mainFields: [...mainFields] } : {}),
    entryPoints: [bundling.entry],
    outfile: join(outDir, bundling.outfile),
    absWorkingDir: bundling.workingDir,
    ...(bundling.tsconfig ? { tsconfig: bundling.tsconfig } : {}),
    ...(bundling.inject ? { inject: [...bundling.inject] } : {}),
    ...(bundling.alias ? { alias: { ...bundling.alias } } : {}),
    // esbuild's CLI default; the API's default is silent, and the runtime prints errors itself.
    logLevel: 'silent',
  } as BuildOptions;
}
