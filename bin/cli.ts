/** The `queueflow` CLI entry (run through bin/queueflow.mjs). */
import { processIo } from '../lib/cli/io.ts';
import { runCli } from '../lib/cli/run.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
