/** The `queueflow` CLI entry (run through bin/queueflow.mjs): `queueflow local …`, `queueflow dlq …`, `queueflow trace …`. */
import { processIo } from '../lib/cli/io.ts';
import { runLocal } from '../lib/cli/local.ts';
import { runCli } from '../lib/cli/run.ts';
import { runTrace } from '../lib/cli/trace.ts';

const [command, ...rest] = process.argv.slice(2);
if (command === 'local') await runLocal(rest);
else if (command === 'trace') process.exitCode = await runTrace(rest, processIo());
else process.exitCode = await runCli(process.argv.slice(2), processIo());
