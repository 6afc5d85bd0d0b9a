/**
 * A small CDK stack with every resource kind the local runtime emulates, synthesized into a temp
 * folder: the reader's tests run against a real `cdk synth` output, not a hand-written template.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';

export const TINY_STACK = 'TinyStack';

/** Lets a test add or change resources before synth, e.g. to provoke an unsupported property. */
export type Customize = (stack: Stack, parts: TinyStackParts) => void;

export interface TinyStackParts {
  readonly queue: sqs.Queue;
  readonly topic: sns.Topic;
  readonly fn: lambda.Function;
  readonly api: apigateway.RestApi;
}

export function synthTinyStack(customize?: Customize): string {
  const outdir = mkdtempSync(join(tmpdir(), 'queueflow-tiny-'));
  const codeDir = mkdtempSync(join(tmpdir(), 'queueflow-tiny-code-'));
  writeFileSync(join(codeDir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 202, body: "{}" });\n');

  // The CDK CLI turns asset metadata on; a bare App needs it set to write aws:asset:path.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, TINY_STACK);
  const dlq = new sqs.Queue(stack, 'WorkDlq', { retentionPeriod: Duration.days(14) });
  const queue = new sqs.Queue(stack, 'WorkQueue', {
    visibilityTimeout: Duration.seconds(60),
    deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
  });
  const topic = new sns.Topic(stack, 'Events');
  topic.addSubscription(
    new subscriptions.SqsSubscription(queue, {
      rawMessageDelivery: true,
      filterPolicy: { eventType: sns.SubscriptionFilter.stringFilter({ allowlist: ['order.placed'] }) },
    }),
  );
  const table = new dynamodb.Table(stack, 'Ledger', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiration',
  });
  const fn = new lambda.Function(stack, 'Worker', {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(codeDir),
    timeout: Duration.seconds(10),
    memorySize: 256,
    environment: { QUEUE_URL: queue.queueUrl, TOPIC_ARN: topic.topicArn, TABLE_NAME: table.tableName, REGION_AND_NAME: `${stack.region}/${table.tableName}` },
  });
  fn.addEventSource(new SqsEventSource(queue, { batchSize: 5, maxBatchingWindow: Duration.seconds(1), maxConcurrency: 3, reportBatchItemFailures: true }));

  const api = new apigateway.RestApi(stack, 'Api', { deployOptions: { stageName: 'v1', throttlingRateLimit: 100, throttlingBurstLimit: 50 } });
  const model = api.addModel('OrderModel', {
    contentType: 'application/json',
    schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT, required: ['orderId'], properties: { orderId: { type: apigateway.JsonSchemaType.STRING } } },
  });
  const validator = api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
  const integration = new apigateway.LambdaIntegration(fn);
  api.root.addResource('orders').addMethod('POST', integration, { apiKeyRequired: true, requestValidator: validator, requestModels: { 'application/json': model } });
  api.root
    .addResource('users')
    .addResource('{userId}')
    .addResource('erasure')
    .addMethod('POST', integration, { apiKeyRequired: true, requestParameters: { 'method.request.path.userId': true } });
  const key = api.addApiKey('CallerKey');
  const plan = api.addUsagePlan('Plan', { throttle: { rateLimit: 20, burstLimit: 200 } });
  plan.addApiKey(key);
  plan.addApiStage({ stage: api.deploymentStage });
  api.addGatewayResponse('BadBody', { type: apigateway.ResponseType.BAD_REQUEST_BODY, statusCode: '400', templates: { 'application/json': '{"message":$context.error.messageString}' } });

  new CfnOutput(stack, 'ApiUrl', { value: api.url });
  new CfnOutput(stack, 'ApiKeyId', { value: key.keyId });
  new CfnOutput(stack, 'WorkQueueUrl', { value: queue.queueUrl });
  new CfnOutput(stack, 'WorkDlqUrl', { value: dlq.queueUrl });
  new CfnOutput(stack, 'LedgerTableName', { value: table.tableName });
  new CfnOutput(stack, 'TopicArn', { value: topic.topicArn });
  new CfnOutput(stack, 'WorkerFunctionName', { value: fn.functionName });

  customize?.(stack, { queue, topic, fn, api });
  app.synth();
  return outdir;
}
