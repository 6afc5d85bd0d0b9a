/**
 * The producer and ordered event types (docs/architecture.md, "Ordered processing"): an ordered
 * event goes to the FIFO topic with its key's value as the message group and its event id as the
 * deduplication id; a key value SNS would refuse as a group id answers 400 and publishes nothing.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../lambdas/shared/env.ts';
import { createProducerHandler } from '../../../../lambdas/shared/producer.ts';
import { installEventValidators } from '../../../helpers/event-validators.ts';
import { apiEvent, baseLambdaEnv, captureLogs, lambdaContext, setEnv } from '../../../helpers/lambda.ts';
import { resetSdkMocks, snsMock } from '../../../helpers/sdk-mocks.ts';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:queueflow-events';
const ORDERED_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:queueflow-ordered.fifo';
const catalog = [
  // No pattern on accountId here, so a value SNS refuses as a group id can reach the producer.
  {
    eventType: 'account.opened',
    method: 'POST',
    resourcePath: '/accounts',
    schema: { type: 'object', properties: { accountId: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['accountId'] },
    orderedBy: '/accountId',
  },
  { eventType: 'account.charged', method: 'POST', resourcePath: '/accounts/{accountId}/charges', schema: { type: 'object' }, orderedBy: '/accountId' },
  { eventType: 'note.added', method: 'POST', resourcePath: '/notes', schema: { type: 'object' } },
];
const env = {
  ...baseLambdaEnv,
  TOPIC_ARN,
  ORDERED_TOPIC_ARN,
  IDEMPOTENCY_TABLE_NAME: 'queueflow-idempotency',
  EVENT_SOURCE: 'queueflow/accounts',
  QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog),
};
const restoreEnv = setEnv(env);
await installEventValidators(catalog);
const handler = createProducerHandler();
afterAll(restoreEnv);

const post = (resource: string, body: unknown, pathParameters?: Record<string, string>) =>
  handler(
    apiEvent({ resource, path: resource.replace('{accountId}', pathParameters?.accountId ?? ''), pathParameters, body: JSON.stringify(body) }),
    lambdaContext(),
  ) as Promise<APIGatewayProxyResult>;

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  resetSdkMocks();
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1', SequenceNumber: '1' });
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('producer: ordered event types', () => {
  it('publishes to the FIFO topic with the key as message group and the event id as deduplication id', async () => {
    // Act
    const opened = await post('/accounts', { accountId: 'acc-1' });
    const charged = await post('/accounts/{accountId}/charges', {}, { accountId: 'acc-1' });

    // Assess
    expect([opened.statusCode, charged.statusCode]).toEqual([202, 202]);
    const inputs = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.TopicArn, input.MessageGroupId, input.MessageDeduplicationId])).toEqual([
      [ORDERED_TOPIC_ARN, 'acc-1', JSON.parse(opened.body).eventId],
      [ORDERED_TOPIC_ARN, 'acc-1', JSON.parse(charged.body).eventId],
    ]);
  });

  it('publishes an unordered event type to the standard topic, without a group', async () => {
    await post('/notes', { text: 'hi' });
    const [input] = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect([input!.TopicArn, input!.MessageGroupId, input!.MessageDeduplicationId]).toEqual([TOPIC_ARN, undefined, undefined]);
  });

  it.each([
    ['a space', 'acc 1'],
    ['a character outside ASCII', 'accé'],
    ['129 characters', 'a'.repeat(129)],
  ])('answers 400 for a key value with %s (not a valid message group id) and publishes nothing', async (_, accountId) => {
    // Act
    const result = await post('/accounts', { accountId });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      type: 'urn:queueflow:problem:validation-failed',
      errors: [{ field: '/accountId', message: expect.stringContaining('128 printable ASCII') }],
    });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('refuses to start without ORDERED_TOPIC_ARN when the catalog has ordered event types', () => {
    const restore = setEnv({ ORDERED_TOPIC_ARN: undefined });
    try {
      expect(() => createProducerHandler()).toThrow(ConfigurationError);
      expect(() => createProducerHandler()).toThrow(/ORDERED_TOPIC_ARN.*account\.opened, account\.charged/);
    } finally {
      restore();
    }
  });
});
