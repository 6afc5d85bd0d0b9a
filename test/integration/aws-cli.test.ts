/**
 * The AWS CLI against the local runtime, as a developer runs it: Debian 12's `awscli` package
 * (2.9.x, /usr/bin/aws), which speaks SQS's query protocol (form-encoded requests, XML replies)
 * where SDK v3 speaks JSON. Each command's JSON output is compared with what an SDK v3 client
 * sees on the same endpoint. The CLI checks the MD5 digests of the bodies and attributes it sends
 * and receives, so a wrong digest fails the command.
 *
 * .ci/run installs the package; without it these tests fail and say so.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../bench/lib/runtime.ts';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;

const AWS_CLI = '/usr/bin/aws';
const CLI_TIMEOUT_MS = 60_000;

/** The CLI's environment: dummy credentials, and nothing from this machine's AWS configuration. */
function cliEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const nowhere = join(tmpdir(), 'queueflow-no-aws-config');
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_PAGER: '',
  };
}

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// The CLI is a Python program: each command takes a second or more to start on a busy machine.
describe('the AWS CLI (Debian awscli) against the local runtime', { timeout: 120_000 }, () => {
  let runtime: Runtime;

  /** Runs `aws --endpoint-url <endpoint> --region us-east-1 --output json <args>`. */
  async function aws(...args: string[]): Promise<CliResult> {
    if (!existsSync(AWS_CLI)) {
      throw new Error(`${AWS_CLI} is missing: install Debian's awscli package (apt-get install awscli), as .ci/run does before npm ci`);
    }
    const argv = ['--endpoint-url', runtime.endpoint, '--region', 'us-east-1', '--output', 'json', ...args];
    try {
      const { stdout, stderr } = await promisify(execFile)(AWS_CLI, argv, { env: cliEnv(), timeout: CLI_TIMEOUT_MS });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  /** The command's JSON output; a failed command fails the test with its stderr. */
  async function awsJson<T>(...args: string[]): Promise<T> {
    const result = await aws(...args);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as T;
  }

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('is the query-protocol CLI this suite is about (Debian awscli 2.9)', async () => {
    const version = await aws('--version');
    expect(version.code).toBe(0);
    expect(version.stdout + version.stderr).toMatch(/^aws-cli\/2\./);
  });

  // The lists hold what the assembly declares plus what these tests create, whichever app cdk.out holds.
  it('lists the same queues as an SDK v3 client', async () => {
    // Prepare
    await awsJson('sqs', 'create-queue', '--queue-name', 'aws-cli-listed');

    // Act
    const cli = await awsJson<{ QueueUrls?: string[] }>('sqs', 'list-queues');
    const sdk = await runtime.clients.sqs.send(new ListQueuesCommand({}));

    // Assess
    expect(cli.QueueUrls?.length).toBeGreaterThan(0);
    expect(cli.QueueUrls?.sort()).toEqual(sdk.QueueUrls?.sort());
    expect(cli.QueueUrls?.every((url) => url.startsWith(`${runtime.endpoint}/`))).toBe(true);
  });

  it(
    'sends, receives, inspects and deletes a message with attributes on a queue of its own',
    async () => {
      // Prepare: a queue no consumer polls
      const { QueueUrl } = await awsJson<{ QueueUrl: string }>('sqs', 'create-queue', '--queue-name', 'aws-cli-test');
      const body = 'line one\nline <two> & "three" é';

      // Act
      const sent = await awsJson<{ MessageId: string; MD5OfMessageBody: string; MD5OfMessageAttributes: string }>(
        'sqs',
        'send-message',
        '--queue-url',
        QueueUrl,
        '--message-body',
        body,
        '--message-attributes',
        JSON.stringify({ eventType: { DataType: 'String', StringValue: 'order.placed' }, attempt: { DataType: 'Number', StringValue: '1' } }),
      );
      const received = await awsJson<{ Messages?: { MessageId: string; ReceiptHandle: string; Body: string; MD5OfBody: string; Attributes: Record<string, string>; MessageAttributes: unknown }[] }>(
        'sqs',
        'receive-message',
        '--queue-url',
        QueueUrl,
        '--attribute-names',
        'All',
        '--message-attribute-names',
        'All',
        '--max-number-of-messages',
        '10',
        '--wait-time-seconds',
        '5',
        '--visibility-timeout',
        '60',
      );
      const inFlight = await awsJson<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', '--queue-url', QueueUrl, '--attribute-names', 'All');
      const message = received.Messages?.[0];
      await awsJson('sqs', 'delete-message', '--queue-url', QueueUrl, '--receipt-handle', message?.ReceiptHandle ?? 'none');
      const afterDelete = await awsJson<{ Attributes: Record<string, string> }>(
        'sqs',
        'get-queue-attributes',
        '--queue-url',
        QueueUrl,
        '--attribute-names',
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      );
      await awsJson('sqs', 'delete-queue', '--queue-url', QueueUrl);

      // Assess
      expect(QueueUrl).toBe(`${runtime.endpoint}/000000000000/aws-cli-test`);
      expect(sent.MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
      expect(received.Messages).toHaveLength(1);
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: body,
        MD5OfBody: sent.MD5OfMessageBody,
        MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' }, attempt: { DataType: 'Number', StringValue: '1' } },
      });
      expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: '000000000000' });
      expect(inFlight.Attributes).toMatchObject({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:aws-cli-test', ApproximateNumberOfMessagesNotVisible: '1' });
      expect(afterDelete.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    },
  );

  it('reports a missing queue with its SQS error code and a failing exit code', async () => {
    const result = await aws('sqs', 'get-queue-url', '--queue-name', 'no-such-queue');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('AWS.SimpleQueueService.NonExistentQueue');
  });

  it('lists the same topics and tables as SDK v3 clients', async () => {
    // Prepare
    const { TopicArn } = await awsJson<{ TopicArn: string }>('sns', 'create-topic', '--name', 'aws-cli-topic');
    await awsJson(
      'dynamodb',
      'create-table',
      '--table-name',
      'aws-cli-table',
      '--attribute-definitions',
      'AttributeName=pk,AttributeType=S',
      '--key-schema',
      'AttributeName=pk,KeyType=HASH',
      '--billing-mode',
      'PAY_PER_REQUEST',
    );

    // Act
    const topics = await awsJson<{ Topics: { TopicArn: string }[] }>('sns', 'list-topics');
    const tables = await awsJson<{ TableNames: string[] }>('dynamodb', 'list-tables');
    const sdkTopics = await runtime.clients.sns.send(new ListTopicsCommand({}));
    const sdkTables = await runtime.clients.dynamodb.send(new ListTablesCommand({}));

    // Assess
    expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:aws-cli-topic');
    expect(topics.Topics).toContainEqual({ TopicArn });
    expect(topics.Topics).toEqual(sdkTopics.Topics);
    expect(tables.TableNames).toContain('aws-cli-table');
    expect(tables.TableNames).toEqual(sdkTables.TableNames);
  });
});
