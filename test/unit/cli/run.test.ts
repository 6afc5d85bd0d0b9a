/**
 * The command line as a whole: argument errors, target resolution and the exit codes scripts
 * rely on (0 done, 1 failed, 2 usage).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../lib/cli/errors.ts';
import { runCli } from '../../../lib/cli/run.ts';
import { OUTPUTS, arnOf, fakeTerminal } from './cli-fixtures.ts';

const cloudFormation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);

const stackWithOutputs = () =>
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'QueueflowSample',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });

const credentialsError = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

describe('queueflow CLI', () => {
  beforeEach(() => {
    cloudFormation.reset();
    sqs.reset();
    stackWithOutputs();
  });

  it('prints the usage for no arguments at all (exit 2)', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli([], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(terminal.stderr()).toMatch(/^Usage: queueflow local \[options\].*\n.*queueflow dlq <command>/);
  });

  it.each([
    [['dlq'], 'missing dlq command'],
    [['dlq', 'drain'], 'unknown dlq command "drain"'],
    [['dlq', 'peek'], 'dlq peek needs a consumer'],
    [['dlq', 'list', 'extra'], 'unexpected argument "extra"'],
    [['dlq', 'list', '--bogus'], "Unknown option '--bogus'"],
    [['dlq', 'list', '--limit', '5'], '--limit does not apply to dlq list'],
    [['dlq', 'peek', 'inventory', '--limit', '0'], '--limit must be a whole number from 1 to 100, got "0"'],
    [['dlq', 'redrive', 'inventory', '--rate', '1.5'], '--rate must be a whole number from 1 to 500, got "1.5"'],
    [['dlq', 'list', '--local', '--stack', 'Other'], '--local (or --state-file) cannot be combined with --stack or --region'],
  ])('%j is a usage error (exit 2): %s', async (argv, message) => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(argv, terminal.io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(terminal.stderr().startsWith(`queueflow: ${message}`)).toBe(true);
    expect(terminal.stderr().endsWith('\nRun queueflow --help for usage.\n')).toBe(true);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('prints help and succeeds', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', '--help'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(terminal.stdout()).toContain('redrive <consumer>');
  });

  it('resolves the stack --stack names in the given region', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--stack', 'QueueflowSample', '--region', 'eu-west-1'], terminal.io, {});

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'QueueflowSample' });
    expect(terminal.stdout()).toContain('inventory');
  });

  it('takes the stack from QUEUEFLOW_STACK when --stack is not given', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--region', 'eu-west-1'], terminal.io, { QUEUEFLOW_STACK: 'QueueflowSample' });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'QueueflowSample' });
  });

  it('asks which stack, without calling AWS, when neither --stack, QUEUEFLOW_STACK nor --local says (exit 2)', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--region', 'eu-west-1'], terminal.io, { QUEUEFLOW_STACK: '' });

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(terminal.stderr()).toMatch(/which stack\? pass --stack <name> \(or set QUEUEFLOW_STACK\)/);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('lists the known consumers for an unknown one (exit 2)', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'peek', 'billing', '--stack', 'QueueflowSample', '--region', 'eu-west-1'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(terminal.stderr()).toBe('queueflow: unknown consumer "billing"; known consumers: email, inventory\n');
  });

  it('explains missing credentials met while reading the stack (exit 1)', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(credentialsError());
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--stack', 'QueueflowSample', '--region', 'eu-west-1'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.stderr()).toMatch(/^queueflow: no AWS credentials found: configure the default credential chain/);
  });

  it('explains missing credentials met by a later SQS call too', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).rejects(credentialsError());
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'purge', 'inventory', '--yes', '--stack', 'QueueflowSample', '--region', 'eu-west-1'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.stderr()).toContain('no AWS credentials found');
  });

  it('names a stack that does not exist (exit 1)', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Gone does not exist'), { name: 'ValidationError' }));
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--stack', 'Gone', '--region', 'eu-west-1'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.stderr()).toContain('queueflow: stack "Gone" was not found in eu-west-1');
  });

  it('exits 1 when the message move task fails', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand, { AttributeNames: ['QueueArn'] }).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: arnOf(input.QueueUrl) } }));
    sqs
      .on(GetQueueAttributesCommand, { AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '0' } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 0, ApproximateNumberOfMessagesToMove: 3 }] });
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'redrive', 'inventory', '--yes', '--stack', 'QueueflowSample', '--region', 'eu-west-1'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.stderr()).toContain('queueflow: the message move task ended CANCELLED');
  });

  it('says the local runtime is not running when its state file is missing (exit 1)', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await runCli(['dlq', 'list', '--state-file', '/nonexistent/local.json'], terminal.io);

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.stderr()).toBe(
      'queueflow: local runtime is not running (no state file at /nonexistent/local.json); start it with npm start\n',
    );
  });
});
