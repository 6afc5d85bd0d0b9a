/** The `queueflow` CLI entry (run through bin/queueflow.mjs): `queueflow local …`, `queueflow dlq …`, `queueflow trace …`. */
// Each command loads only its own modules (imported when it runs), so none pays for the others'.
const [command, ...rest] = process.argv.slice(2);
if (command === 'local') {
  // The AWS endpoint's thread is spawned before anything else loads: it loads its emulators on
  // the other core while this thread loads the runtime (services.ts, AwsEndpointThread).
  const { spawnAwsEndpointThread } = await import('../lib/local/services.ts');
  const endpointThread = spawnAwsEndpointThread();
  const { runLocal } = await import('../lib/cli/local.ts');
  await runLocal(rest, endpointThread);
} else {
  const { processIo } = await import('../lib/cli/io.ts');
  if (command === 'trace') process.exitCode = await (await import('../lib/cli/trace.ts')).runTrace(rest, processIo());
  else process.exitCode = await (await import('../lib/cli/run.ts')).runCli(process.argv.slice(2), processIo());
}
