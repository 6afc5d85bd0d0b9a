/**
 * The `queueflow dlq` command line: parses arguments, resolves the target, runs one `dlq` command
 * and maps its outcome to an exit code (0 ok, 1 operational failure, 2 usage error).
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError, numberOption, parseCommandLine } from '../shared/usage.ts';
import { dlqList } from './dlq-list.ts';
import { DEFAULT_PEEK_LIMIT, MAX_PEEK_LIMIT, dlqPeek } from './dlq-peek.ts';
import { dlqPurge } from './dlq-purge.ts';
import { MAX_RATE, dlqRedrive } from './dlq-redrive.ts';
import { CliError, ExitCode, exitCodeOf, explainAwsError } from './errors.ts';
import type { CliIo } from './io.ts';
import { DEFAULT_STATE_FILE, STACK_ENV, resolveTarget } from './target.ts';
import type { Target } from './target.ts';

export const USAGE = `Usage: queueflow local [options]         run the CDK app's stacks locally (queueflow local --help)
       queueflow dlq <command> [options]
       queueflow trace <event-id> --local     one event's journey through the local runtime (queueflow trace --help)

dlq commands:
  list                      queue depth, in-flight, dead letters and oldest dead letter per consumer
  peek <consumer>           dead letters with the error that sent them there (released at once)
  redrive <consumer>        move dead letters back to the consumer's queue
  purge <consumer>          delete every message in the consumer's DLQ

Target (default: the deployed stack, default AWS credential chain and region):
  --stack <name>            the deployed CloudFormation stack (default: $${STACK_ENV})
  --region <region>         AWS region (default: AWS_REGION / your profile)
  --local                   the local runtime (npm start), via its state file
  --state-file <path>       the local runtime's state file (default ${DEFAULT_STATE_FILE}; implies --local)

Options:
  --json                    machine-readable output (list, peek, redrive)
  --limit <n>               peek: at most n dead letters (default ${DEFAULT_PEEK_LIMIT}, max ${MAX_PEEK_LIMIT})
  --rate <n>                redrive: messages per second (1-${MAX_RATE}; AWS chooses if omitted on AWS)
  --event-id <id>           redrive: only this event (repeatable)
  --yes                     redrive, purge: do not ask for confirmation
  -h, --help                this help

Exit codes: 0 done (also when there was nothing to do), 1 failed, 2 usage error.
`;

const OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  'state-file': { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  rate: { type: 'string' },
  'event-id': { type: 'string', multiple: true },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];
type OptionName = keyof typeof OPTIONS;

const TARGET_OPTIONS: readonly OptionName[] = ['stack', 'region', 'local', 'state-file', 'help'];
const COMMANDS = {
  list: { consumer: false, options: ['json'] },
  peek: { consumer: true, options: ['json', 'limit'] },
  redrive: { consumer: true, options: ['json', 'rate', 'event-id', 'yes'] },
  purge: { consumer: true, options: ['yes'] },
} as const satisfies Record<string, { consumer: boolean; options: readonly OptionName[] }>;
type CommandName = keyof typeof COMMANDS;

const integerOption = (name: string, value: string | undefined, min: number, max: number): number | undefined =>
  value === undefined ? undefined : numberOption(`--${name}`, value, { integer: true, min, max });

const parse = (argv: readonly string[], env: NodeJS.ProcessEnv) => {
  const { values, positionals, tokens } = parseCommandLine({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  const [group, command, consumer, ...extra] = positionals;
  if (values.help === true) return { help: true } as const;
  if (group !== 'dlq') throw new UsageError(group === undefined ? 'missing command' : `unknown command "${group}"`);
  if (command === undefined || !(command in COMMANDS)) {
    throw new UsageError(command === undefined ? 'missing dlq command' : `unknown dlq command "${command}"`);
  }
  const spec = COMMANDS[command as CommandName];
  if (spec.consumer && consumer === undefined) throw new UsageError(`dlq ${command} needs a consumer: queueflow dlq ${command} <consumer>`);
  const unexpected = spec.consumer ? extra : [consumer, ...extra].filter((value) => value !== undefined);
  if (unexpected.length > 0) throw new UsageError(`unexpected argument "${unexpected[0]}"`);
  const allowed: readonly OptionName[] = [...TARGET_OPTIONS, ...spec.options];
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.includes(token.name as OptionName)) {
      throw new UsageError(`--${token.name} does not apply to dlq ${command}`);
    }
  }
  const local = values.local === true || values['state-file'] !== undefined;
  if (local && (values.stack !== undefined || values.region !== undefined)) {
    throw new UsageError('--local (or --state-file) cannot be combined with --stack or --region');
  }
  const limit = integerOption('limit', values.limit, 1, MAX_PEEK_LIMIT) ?? DEFAULT_PEEK_LIMIT;
  const rate = integerOption('rate', values.rate, 1, MAX_RATE);
  // No default stack: the library cannot know what an app named its stacks.
  const stackName = values.stack ?? (env[STACK_ENV] === '' ? undefined : env[STACK_ENV]);
  if (!local && stackName === undefined) {
    throw new UsageError(`which stack? pass --stack <name> (or set ${STACK_ENV}) for a deployed stack, or --local for the local runtime`);
  }
  return {
    help: false,
    command: command as CommandName,
    consumer: consumer ?? '',
    target: {
      local,
      stateFile: values['state-file'] ?? DEFAULT_STATE_FILE,
      stackName: stackName ?? '',
      ...(values.region === undefined ? {} : { region: values.region }),
    },
    json: values.json === true,
    yes: values.yes === true,
    limit,
    rate,
    eventIds: values['event-id'] ?? [],
  } as const;
};

const runCommand = (target: Target, io: CliIo, args: Exclude<ReturnType<typeof parse>, { help: true }>): Promise<ExitCode> => {
  switch (args.command) {
    case 'list':
      return dlqList(target, io, { json: args.json });
    case 'peek':
      return dlqPeek(target, io, { consumer: args.consumer, limit: args.limit, json: args.json });
    case 'redrive':
      return dlqRedrive(target, io, {
        consumer: args.consumer,
        eventIds: args.eventIds,
        yes: args.yes,
        json: args.json,
        ...(args.rate === undefined ? {} : { rate: args.rate }),
      });
    case 'purge':
      return dlqPurge(target, io, { consumer: args.consumer, yes: args.yes });
  }
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export const runCli = async (argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> => {
  let args;
  try {
    args = parse(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // Only a command line that does not parse gets the pointer to the usage.
    io.stderr.write(argv.length === 0 ? USAGE : `queueflow: ${error.message}\nRun queueflow --help for usage.\n`);
    return error.exitCode;
  }
  let target: Target | undefined;
  try {
    if (args.help) {
      io.stdout.write(USAGE);
      return ExitCode.ok;
    }
    target = await resolveTarget(args.target);
    return await runCommand(target, io, args);
  } catch (caught) {
    const error = explainAwsError(caught);
    if (error instanceof CliError || error instanceof UsageError) {
      io.stderr.write(`queueflow: ${error.message}\n`);
    } else {
      io.stderr.write(`queueflow: ${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}\n`);
      if (process.env.QUEUEFLOW_DEBUG !== undefined) io.stderr.write(`${(error as Error).stack ?? ''}\n`);
    }
    return exitCodeOf(error);
  } finally {
    target?.sqs.destroy();
    target?.dynamodb.destroy();
  }
};
