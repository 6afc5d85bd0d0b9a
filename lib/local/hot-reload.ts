/**
 * Hot reload: watches the project's watch roots and applies each change the cheapest way that is
 * still right.
 *
 * - A file that is an input of a recorded bundle (a function whose Metadata says how esbuild built
 *   it, see rebuild.ts) rebuilds only the bundles that include it, and swaps those functions'
 *   execution environments: well under a second, no synth.
 * - Any other file (the CDK app, stacks, constructs, a plain `lambda.Function` asset folder)
 *   re-synthesizes in the background, while functions keep serving and rebuilds keep going; then
 *   the functions whose code or configuration changed are reloaded, and a template change beyond
 *   that (queues, topics, tables, API, mappings, the set of functions) is reported as needing a
 *   restart.
 *
 * Each kind of work runs one at a time, changes arriving meanwhile batched into the next run.
 * A file imported both by a handler and by the CDK app counts as handler source: its change is
 * rebuilt, not synthesized (the template keeps what the last synth saw until the next one).
 */
import { watch } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { functionLabel } from './invocation-log.ts';
import type { LambdaHost } from './lambda-host.ts';
import type { LocalFunction, LocalModel } from './model.ts';
import { BundleRebuilder } from './rebuild.ts';
import { isFolder } from './watch-roots.ts';

export interface HotReloadOptions {
  readonly projectDir: string;
  /** Folders to watch, recursively, relative to `projectDir` (watch-roots.ts). */
  readonly roots: readonly string[];
  readonly host: LambdaHost;
  /** The model the runtime runs now, and a way to replace it after a synth. */
  readonly model: () => LocalModel;
  readonly setModel: (model: LocalModel) => void;
  /** Runs `cdk synth` and reads the new assembly. */
  readonly synthesize: () => Promise<LocalModel>;
  readonly print: (line: string) => void;
  readonly printError: (line: string) => void;
}

export interface HotReload {
  /** Settles once every recorded bundle knows its inputs (the first builds, in the background). */
  readonly indexed: Promise<void>;
  close(): Promise<void>;
}

/** Saves arrive as bursts of events (write, rename, chmod); one rebuild per burst. */
const DEBOUNCE_MS = 60;
/** Files editors write next to the one being saved: vim's `4913` and swap files, backups, Emacs locks. */
const EDITOR_TEMP = /(^4913$|~$|\.sw[a-p]$|^\.#|\.tmp$)/;

/**
 * @example
 * const hotReload = startHotReload({ projectDir, roots: watchRoots(projectDir), host, model: () => model, setModel, synthesize, print, printError });
 * await hotReload.close();
 */
export function startHotReload(options: HotReloadOptions): HotReload {
  const { projectDir, host, print, printError } = options;
  const rebuilder = new BundleRebuilder(join(projectDir, '.queueflow', 'bundles'));
  /** Functions the host runs from a rebuilt bundle instead of their cdk.out asset, by logical id. */
  const served = new Map<string, string>();
  const names = (functions: readonly LocalFunction[]) => functions.map((fn) => functionLabel(fn, options.model().stackNames)).join(', ');
  const current = (fn: LocalFunction) => options.model().functions.find((candidate) => candidate.logicalId === fn.logicalId) ?? fn;
  const withCode = (fn: LocalFunction): LocalFunction => ({ ...fn, assetDir: served.get(fn.logicalId) ?? fn.assetDir });
  /** Set by `close`: work still under way then (a synth) must not start environments on a stopped host. */
  let closed = false;

  const indexStarted = performance.now();
  const indexed = rebuilder.track(options.model().functions).then(
    (tracked) => {
      if (tracked.length === 0) return;
      const fns = options.model().functions.filter((fn) => tracked.includes(fn.logicalId));
      print(`hot reload: esbuild rebuilds ${names(fns)} on change (inputs indexed in ${Math.round(performance.now() - indexStarted)} ms); other changes re-synthesize`);
    },
    (error: unknown) => printError(`hot reload: could not index the function bundles, every change re-synthesizes: ${(error as Error).message}`),
  );

  const rebuilds = new Lane<LocalFunction>(async (batch) => {
    const started = performance.now();
    const functions = batch.filter((fn, index) => batch.findIndex((other) => other.logicalId === fn.logicalId) === index);
    print(`rebuilding ${names(functions)}…`);
    const { built, failed } = await rebuilder.rebuild(functions);
    for (const error of failed) printError(`rebuild failed, still running the previous build: ${error.message}`);
    const fresh = functions.filter((fn) => built.has(fn.logicalId)).map((fn) => ({ ...current(fn), assetDir: built.get(fn.logicalId)! }));
    if (fresh.length === 0 || closed) return;
    for (const fn of fresh) served.set(fn.logicalId, fn.assetDir);
    await host.replace(fresh);
    print(`${names(fresh)} live in ${Math.round(performance.now() - started)} ms`);
  }, printError);

  const synths = new Lane<string>(async (files) => {
    const started = performance.now();
    const shown = files.slice(0, 3).map((file) => relative(projectDir, file));
    print(`infrastructure changed (${shown.join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}): synthesizing in the background…`);
    const previous = options.model();
    const next = await options.synthesize();
    if (closed) return;
    const seconds = `synthesized in ${Math.round(performance.now() - started)} ms`;
    if (JSON.stringify(infrastructure(next)) !== JSON.stringify(infrastructure(previous))) {
      printError('the template changed beyond function code (queues, topics, tables, API or mappings): restart to apply it');
    }
    options.setModel(next);
    // A function whose bundling changed gets a new esbuild context, and runs the asset this synth built.
    const renewed = new Set(await rebuilder.track(next.functions));
    for (const logicalId of served.keys()) if (renewed.has(logicalId) || !rebuilder.outDirOf(logicalId)) served.delete(logicalId);
    const before = new Map(previous.functions.map((fn) => [fn.logicalId, fn]));
    const changed = next.functions.filter((fn) => renewed.has(fn.logicalId) || !sameFunction(before.get(fn.logicalId), fn));
    const sameSet = next.functions.length === previous.functions.length && next.functions.every((fn) => before.has(fn.logicalId));
    if (!sameSet) await host.reload(next.functions.map(withCode));
    else if (changed.length > 0) await host.replace(changed.map(withCode));
    print(changed.length > 0 ? `reloaded ${names(changed)} (${seconds})` : `${seconds}: no function changed`);
  }, printError);

  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const dispatch = async (): Promise<void> => {
    const files = [...pending].filter((file) => !EDITOR_TEMP.test(basename(file)) && !isFolder(file));
    pending = new Set();
    if (files.length === 0) return;
    await indexed;
    if (closed) return;
    const affected = rebuilder.affectedBy(files);
    if (affected.length > 0) rebuilds.push(affected);
    const infrastructureFiles = files.filter((file) => !rebuilder.isInput(file));
    if (infrastructureFiles.length > 0) synths.push(infrastructureFiles);
  };
  const watchers = options.roots.map((root) =>
    watch(join(projectDir, root), { recursive: true }, (_event, filename) => {
      // No name (some platforms, some events): something in the root changed; the root stands for it.
      pending.add(filename ? join(projectDir, root, filename) : join(projectDir, root, '?'));
      clearTimeout(timer);
      timer = setTimeout(() => void dispatch(), DEBOUNCE_MS);
    }),
  );

  return {
    indexed,
    async close() {
      closed = true;
      clearTimeout(timer);
      watchers.forEach((watcher) => watcher.close());
      // A rebuild takes a moment; a synth under way is left to finish on its own, its result unused.
      await rebuilds.idle();
      await rebuilder.dispose();
    },
  };
}

/** What a hot reload does not apply: everything but the functions' code and environment. */
function infrastructure(model: LocalModel): unknown {
  const { queues, topics, subscriptions, tables, eventSourceMappings, api } = model;
  return { queues, topics, subscriptions, tables, eventSourceMappings, api, functions: model.functions.map((fn) => fn.logicalId) };
}

/**
 * Whether a synth left a function as the host runs it. A function with recorded bundling is
 * rebuilt on every change of its inputs, so a new asset folder alone says nothing new about it;
 * for any other function, the asset folder (named by its content hash) is its code.
 */
function sameFunction(before: LocalFunction | undefined, after: LocalFunction): boolean {
  if (!before) return false;
  const comparable = (fn: LocalFunction) => JSON.stringify(after.bundling ? { ...fn, assetDir: undefined } : fn);
  return comparable(before) === comparable(after);
}

/** Runs batches one at a time; items pushed while a batch runs form the next batch (deduplicated). */
class Lane<T> {
  readonly #work: (items: T[]) => Promise<void>;
  readonly #onError: (line: string) => void;
  #queued: T[] = [];
  #running?: Promise<void>;

  constructor(work: (items: T[]) => Promise<void>, onError: (line: string) => void) {
    this.#work = work;
    this.#onError = onError;
  }

  push(items: readonly T[]): void {
    for (const item of items) if (!this.#queued.includes(item)) this.#queued.push(item);
    if (!this.#running) this.#running = this.#drain();
  }

  async idle(): Promise<void> {
    await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0) {
      const batch = this.#queued;
      this.#queued = [];
      await this.#work(batch).catch((error: unknown) => this.#onError(`reload failed, still running the previous build: ${(error as Error).message}`));
    }
    this.#running = undefined;
  }
}
