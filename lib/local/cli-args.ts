/**
 * The command line of `queueflow local` (docs/architecture.md, "Local runtime contract"), parsed with
 * node:util `parseArgs`; every mistake becomes a `UsageError` that says what to type instead.
 */
import { readFileSync } from 'node:fs';
import { numberOption, parseCommandLine, UsageError } from '../shared/usage.ts';
import { parseFaultConfig, type FaultConfig } from './faults.ts';
import { LogFormats, type LogFormat } from './invocation-log.ts';
import type { LocalRuntimeOptions } from './runtime.ts';

export const HELP = `Usage: queueflow local [options]     (in this repository: npm start -- [options])

Runs the stacks of the CDK app in the current folder locally: REST API, Lambda functions,
SNS, SQS and DynamoDB, without Docker or an AWS account. Synthesizes with the app's own cdk.json.

Options:
  --port <n>          REST API port on 127.0.0.1 (default 3000; 0 picks a free port)
  --aws-port <n>      AWS endpoint port for SQS, SNS, DynamoDB (default 4566; 0 picks a free port)
  --console-port <n>  console port: queues, dead letters, event traces (default 4567, or a free one
                      when 4567 is in use; 0 picks a free port)
  --data-dir <dir>    where queues, messages and tables persist (default .queueflow/data)
  --state-file <file> where the API URL, endpoint and outputs are written (default .queueflow/local.json)
  --assembly <dir>    the cloud assembly (default cdk.out)
  --stack <name>      a stack to run (repeatable, or comma-separated; default: every stack)
  --synth             run cdk synth even when the assembly is up to date
  --no-synth          use the existing assembly instead of running cdk synth
                      (default: synth only when a file that shapes the assembly changed since
                      the last synth, by the fingerprint in .queueflow/fingerprints)
  --no-watch          do not rebuild and reload functions when a watched folder changes
                      (cdk.json watch.include; default: the project's top-level folders)
  --quiet             print only the banner and errors (failed invocations with their
                      error-level and stderr lines)
  --verbose           print every line a function logs, pretty, under its invocation line
  --log-format <f>    pretty (default): one line per invocation, per SQS record:
                        time, function, event type and id (or method, path, status),
                        outcome (ok, retry in N s, dead-lettered, skipped, error), duration;
                        error-level and stderr lines of functions always show under it
                      json: each raw function line (Powertools JSON) prefixed with the
                        function's name, and Lambda's REPORT lines, for tools
  --max-environments <n>
                      execution environments per function at most (default: the machine's
                      cores, 2 to 10); more suit handlers that mostly wait on a slow downstream
  --faults <file>     fault injection config (JSON; also QUEUEFLOW_FAULTS)
  -h, --help          show this help
`;

/** Parses argv into runtime options; throws UsageError with a message fit for the terminal. */
export function parseLocalArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LocalRuntimeOptions | 'help' {
  const { values } = parseCommandLine({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        port: { type: 'string' },
        'aws-port': { type: 'string' },
        'console-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'state-file': { type: 'string' },
        assembly: { type: 'string' },
        stack: { type: 'string', multiple: true },
        synth: { type: 'boolean' },
        watch: { type: 'boolean', default: true },
        quiet: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        'log-format': { type: 'string' },
        faults: { type: 'string' },
        'max-environments': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
  });
  if (values.help) return 'help';
  for (const [flag, value] of Object.entries({ '--data-dir': values['data-dir'], '--state-file': values['state-file'], '--assembly': values.assembly })) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} needs a non-empty value`);
  }
  const stackNames = (values.stack ?? []).flatMap((value) => value.split(',')).map((name) => name.trim());
  if (stackNames.some((name) => name === '')) throw new UsageError('--stack needs a non-empty stack name');
  if (values.quiet && values.verbose) throw new UsageError('--quiet and --verbose contradict each other: choose one');
  const logFormat = values['log-format'];
  const formats: readonly string[] = Object.values(LogFormats);
  if (logFormat !== undefined && !formats.includes(logFormat)) throw new UsageError(`--log-format must be ${formats.join(' or ')}, got "${logFormat}"`);
  const faults = readFaults(values.faults, env.QUEUEFLOW_FAULTS);
  return {
    ...(values.port === undefined ? {} : { port: parsePort(values.port, '--port') }),
    ...(values['aws-port'] === undefined ? {} : { awsPort: parsePort(values['aws-port'], '--aws-port') }),
    ...(values['console-port'] === undefined ? {} : { consolePort: parsePort(values['console-port'], '--console-port') }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(values['state-file'] === undefined ? {} : { stateFile: values['state-file'] }),
    ...(values.assembly === undefined ? {} : { assembly: values.assembly }),
    ...(stackNames.length === 0 ? {} : { stackNames }),
    ...(values.synth === undefined ? {} : { synth: values.synth }),
    watch: values.watch,
    quiet: values.quiet,
    ...(values.verbose ? { verbose: true } : {}),
    ...(logFormat === undefined ? {} : { logFormat: logFormat as LogFormat }),
    ...(faults ? { faults } : {}),
    ...(values['max-environments'] === undefined
      ? {}
      : { maxEnvironmentsPerFunction: numberOption('--max-environments', values['max-environments'], { integer: true, min: 1, max: 100 }) }),
  };
}

function parsePort(text: string, flag: string): number {
  return numberOption(flag, text, { integer: true, min: 0, max: 65_535, noun: 'port number' });
}

function readFaults(file: string | undefined, fromEnv: string | undefined): FaultConfig | undefined {
  let json = fromEnv;
  if (file !== undefined) {
    try {
      json = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--faults: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (json === undefined || json.trim() === '') return undefined;
  try {
    return parseFaultConfig(json);
  } catch (error) {
    throw new UsageError(`${file ? `--faults ${file}` : 'QUEUEFLOW_FAULTS'}: ${(error as Error).message}`, { cause: error });
  }
}
