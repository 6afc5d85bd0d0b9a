import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CliError,
  LocalRuntimeNotRunningError,
  MissingCredentialsError,
  StackNotFoundError,
} from '../../../lib/cli/errors.ts';
import { resolveLocalTarget, resolveStackTarget } from '../../../lib/cli/target.ts';
import { OUTPUTS } from './cli-fixtures.ts';

const cloudFormation = mockClient(CloudFormationClient);

const awsError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('resolveStackTarget', () => {
  beforeEach(() => cloudFormation.reset());

  it('reads the queues and tables from the stack outputs', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'QueueflowSample' }).resolves({
      Stacks: [
        {
          StackName: 'QueueflowSample',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });

    // Act
    const target = await resolveStackTarget('QueueflowSample', 'eu-west-1');

    // Assess
    expect(target.kind).toBe('aws');
    expect(target.outputs).toEqual(OUTPUTS);
    expect(target.description).toBe('stack QueueflowSample (eu-west-1)');
    expect(await target.sqs.config.region()).toBe('eu-west-1');
  });

  it('names the stack and region when the stack does not exist', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Nope does not exist'));

    // Act
    const resolving = resolveStackTarget('Nope', 'eu-west-1');

    // Assess
    await expect(resolving).rejects.toBeInstanceOf(StackNotFoundError);
    await expect(resolving).rejects.toThrow('stack "Nope" was not found in eu-west-1');
  });

  it('explains missing credentials instead of the SDK error', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    // Act
    const resolving = resolveStackTarget('QueueflowSample', 'eu-west-1');

    // Assess
    await expect(resolving).rejects.toBeInstanceOf(MissingCredentialsError);
    await expect(resolving).rejects.toThrow(/no AWS credentials found/);
  });

  it('passes other CloudFormation errors through', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', '1 validation error detected'));

    // Act / Assess
    await expect(resolveStackTarget('QueueflowSample', 'eu-west-1')).rejects.toThrow('1 validation error detected');
  });
});

describe('resolveLocalTarget', () => {
  let dir: string;
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'queueflow-cli-'));
    server = createServer((_request, response) => response.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => rm(join(dir, 'local.json'), { force: true }));

  const writeState = async (state: Record<string, unknown>): Promise<string> => {
    const path = join(dir, 'local.json');
    await writeFile(path, JSON.stringify(state));
    return path;
  };
  const state = (overrides: Record<string, unknown> = {}) => ({
    pid: process.pid,
    stackName: 'QueueflowSample',
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    outputs: OUTPUTS,
    ...overrides,
  });

  it('uses the endpoint, region, credentials and outputs of a running runtime', async () => {
    // Prepare
    const path = await writeState(state());

    // Act
    const target = await resolveLocalTarget(path);

    // Assess
    expect(target.kind).toBe('local');
    expect(target.outputs).toEqual(OUTPUTS);
    expect(await target.sqs.config.region()).toBe('us-east-1');
    expect(await target.sqs.config.credentials()).toMatchObject({ accessKeyId: 'test', secretAccessKey: 'test' });
    const url = await target.dynamodb.config.endpoint?.();
    expect(`${url?.protocol}//${url?.hostname}:${url?.port}`).toBe(endpoint);
  });

  it('says to start the runtime when there is no state file', async () => {
    // Act
    const resolving = resolveLocalTarget(join(dir, 'missing.json'));

    // Assess
    await expect(resolving).rejects.toBeInstanceOf(LocalRuntimeNotRunningError);
    await expect(resolving).rejects.toThrow(/local runtime is not running \(no state file at .*missing\.json\); start it with npm start/);
  });

  it('says to start the runtime when the recorded process has exited', async () => {
    // Prepare: the pid of a process that has certainly ended
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    const path = await writeState(state({ pid: exited }));

    // Act / Assess
    await expect(resolveLocalTarget(path)).rejects.toThrow(new RegExp(`process ${exited} named in .* has exited`));
  });

  it('says to start the runtime when its process lives but nothing answers at the endpoint', async () => {
    // Prepare: a port that was free a moment ago
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const path = await writeState(state({ endpoint: `http://127.0.0.1:${port}` }));

    // Act / Assess
    await expect(resolveLocalTarget(path)).rejects.toThrow(`nothing answers at http://127.0.0.1:${port}`);
  });

  it('rejects a state file that is not the runtime contract', async () => {
    // Prepare
    const path = await writeState(state({ endpoint: 42 }));

    // Act
    const resolving = resolveLocalTarget(path);

    // Assess
    await expect(resolving).rejects.toBeInstanceOf(CliError);
    await expect(resolving).rejects.toThrow(/state file .* is invalid/);
  });
});
