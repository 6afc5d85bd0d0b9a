/**
 * `queueflow local` (and `npm start` in this repository): runs the CDK app's stacks locally (see
 * docs/architecture.md, "Local runtime contract"). It owns the process until it stops: exit codes
 * 0 after a clean stop, 1 when the runtime fails, 2 on bad usage.
 */
import { HELP, parseLocalArgs } from '../local/cli-args.ts';
import { LocalRuntimeError } from '../local/errors.ts';
import { USAGE_EXIT_CODE, UsageError } from '../shared/usage.ts';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime.ts';
import type { AwsEndpointThread } from '../local/services.ts';

/** `endpointThread`: the AWS endpoint's thread, when the caller spawned it ahead (bin/cli.ts). */
export async function runLocal(argv: readonly string[], endpointThread?: AwsEndpointThread): Promise<void> {
  let options;
  try {
    options = parseLocalArgs(argv);
  } catch (error) {
    const hint = error instanceof UsageError ? '\nRun with --help for the options.' : '';
    console.error(`error: ${(error as Error).message}${hint}`);
    process.exit(USAGE_EXIT_CODE);
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  // The handlers go in before start-up: the runtime writes its state file (which tells tools it is
  // ready) before startLocalRuntime returns, and a SIGTERM in between would otherwise get the
  // default action, killing the process without its cleanup (state file left, signal exit).
  let runtime: LocalRuntime | undefined;
  let signals = 0;
  const stop = (started: LocalRuntime) =>
    started.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    console.error(`\n${signal}: stopping (again to force)…`);
    // During start-up, it stops as soon as it has started.
    if (runtime !== undefined) void stop(runtime);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  runtime = await startLocalRuntime(endpointThread ? { ...options, endpointThread } : options).catch((error: unknown) => {
    // The runtime's own errors carry a message for the user; anything else is a bug, so show the stack.
    console.error(error instanceof LocalRuntimeError ? `error: ${error.message}` : error);
    process.exit(1);
  });
  if (signals > 0) await stop(runtime);
}

