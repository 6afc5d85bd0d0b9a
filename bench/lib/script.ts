/**
 * How a bench script ends: its exit code, 130 on Ctrl-C (the runtimes it started are killed on
 * exit), and for a `UsageError` the message and the usage on stderr with exit code 2.
 */
import { UsageError } from '../../lib/shared/usage.ts';

export async function runScript(usage: string, main: () => Promise<number>): Promise<void> {
  process.on('SIGINT', () => process.exit(130));
  try {
    process.exitCode = await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${usage}`);
    process.exitCode = error.exitCode;
  }
}
