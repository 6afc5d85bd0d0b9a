/** The `queueflow` CLI entry (run through bin/queueflow.mjs): `queueflow local …`, `queueflow dlq …`. */
import { processIo } from '../lib/cli/io.ts';
import { runLocal } from '../lib/cli/local.ts';
import { runCli } from '../lib/cli/run.ts';

const [command, ...rest] = process.argv.slice(2);
if (command === 'local') await runLocal(rest);
else process.exitCode = await runCli(process.argv.slice(2), processIo());
