/** Per-test set-up shared by the consumer suites: fresh SDK mocks, SQS accepting backoffs, captured logs. */
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach } from 'vitest';
import { captureLogs } from './lambda.ts';
import { resetSdkMocks, sqsMock } from './sdk-mocks.ts';
import type { FakeDynamoDb } from './sdk-mocks.ts';

/** Registers the hooks; the getters return the current test's DynamoDB fake and log capture. */
export const useConsumerHarness = () => {
  let dynamo: FakeDynamoDb | undefined;
  let logs: ReturnType<typeof captureLogs> | undefined;
  beforeEach(() => {
    dynamo = resetSdkMocks();
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
    logs = captureLogs();
  });
  afterEach(() => logs?.restore());
  return { dynamo: () => dynamo!, logs: () => logs! };
};
