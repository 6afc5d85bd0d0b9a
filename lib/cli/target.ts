/**
 * Where the CLI's commands act: a deployed stack (queues and tables named by its CloudFormation
 * outputs, default credential chain and region) or the local runtime (named by its state file).
 * Either way the commands get the same SDK clients and output keys, so they have one code path.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { CliError, LocalRuntimeNotRunningError, StackNotFoundError, explainAwsError } from './errors.ts';

/** The environment variable that names the deployed stack when `--stack` is not given. */
export const STACK_ENV = 'QUEUEFLOW_STACK';
export const DEFAULT_STATE_FILE = '.queueflow/local.json';

export interface Target {
  readonly kind: 'aws' | 'local';
  /** For messages: `stack Shop (eu-west-1)` or `local runtime at http://…`. */
  readonly description: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

export interface TargetOptions {
  readonly local: boolean;
  readonly stateFile: string;
  readonly stackName: string;
  readonly region?: string;
}

/** The part of the local runtime's state file (docs/architecture.md) the CLI relies on. */
const LocalState = z.object({
  pid: z.number().int().positive(),
  endpoint: z.url(),
  region: z.string().min(1),
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }),
  outputs: z.record(z.string(), z.string()),
  /** Absent in state files of runtimes before the console. */
  consoleUrl: z.url().optional(),
});
type LocalState = z.infer<typeof LocalState>;

export const resolveTarget = (options: TargetOptions): Promise<Target> =>
  options.local ? resolveLocalTarget(options.stateFile) : resolveStackTarget(options.stackName, options.region);

export const resolveStackTarget = async (stackName: string, region: string | undefined): Promise<Target> => {
  const config = region === undefined ? {} : { region };
  const cloudFormation = new CloudFormationClient(config);
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack === undefined) throw new StackNotFoundError(stackName, region);
    outputs = Object.fromEntries(
      (stack.Outputs ?? []).flatMap((output) =>
        output.OutputKey !== undefined && output.OutputValue !== undefined ? [[output.OutputKey, output.OutputValue]] : [],
      ),
    );
  } catch (error) {
    // CloudFormation answers a missing stack with a generic ValidationError; its message is the
    // only thing that tells it apart from other validation failures.
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      throw new StackNotFoundError(stackName, region, { cause: error });
    }
    throw explainAwsError(error);
  } finally {
    cloudFormation.destroy();
  }
  return {
    kind: 'aws',
    description: `stack ${stackName}${region === undefined ? '' : ` (${region})`}`,
    outputs,
    sqs: new SQSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
};

export const resolveLocalTarget = async (stateFile: string): Promise<Target> => {
  const state = await readLocalState(resolve(stateFile));
  if (!isProcessAlive(state.pid)) {
    throw new LocalRuntimeNotRunningError(`process ${state.pid} named in ${stateFile} has exited`);
  }
  if (!(await endpointAnswers(state.endpoint))) {
    throw new LocalRuntimeNotRunningError(`nothing answers at ${state.endpoint}`);
  }
  const config = { endpoint: state.endpoint, region: state.region, credentials: state.credentials };
  return {
    kind: 'local',
    description: `local runtime at ${state.endpoint}`,
    outputs: state.outputs,
    sqs: new SQSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
};

export const readLocalState = async (path: string): Promise<LocalState> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LocalRuntimeNotRunningError(`no state file at ${path}`, { cause: error });
    }
    throw new CliError(`cannot read the local runtime's state file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the local runtime's state file ${path} is not JSON`, { cause: error });
  }
  const parsed = LocalState.safeParse(json);
  if (!parsed.success) {
    throw new CliError(`the local runtime's state file ${path} is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

const isProcessAlive = (pid: number): boolean => {
  try {
    // Signal 0 checks existence without touching the process.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Any HTTP answer counts: a stale state file whose pid was reused points at a dead port. */
const endpointAnswers = async (endpoint: string): Promise<boolean> => {
  try {
    const response = await fetch(new URL('/_queueflow/stats', endpoint), { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
};
