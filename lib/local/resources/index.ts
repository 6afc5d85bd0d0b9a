/**
 * The registry of CloudFormation resource types the local runtime reads. To support a new type,
 * write one module next to this file (see resource-type.ts for the contract) and add it to
 * `RESOURCE_TYPES`. A type that has no local meaning goes into `SKIPPED_TYPES` instead.
 */
import { apiGatewayApiKey } from './api-gateway-api-key.ts';
import { apiGatewayGatewayResponse } from './api-gateway-gateway-response.ts';
import { apiGatewayMethod } from './api-gateway-method.ts';
import { apiGatewayModel } from './api-gateway-model.ts';
import { apiGatewayRequestValidator } from './api-gateway-request-validator.ts';
import { apiGatewayResource } from './api-gateway-resource.ts';
import { apiGatewayRestApi } from './api-gateway-rest-api.ts';
import { apiGatewayStage } from './api-gateway-stage.ts';
import { apiGatewayUsagePlan } from './api-gateway-usage-plan.ts';
import { dynamodbGlobalTable, dynamodbTable } from './dynamodb-table.ts';
import { lambdaEventSourceMapping } from './lambda-event-source-mapping.ts';
import { lambdaFunction } from './lambda-function.ts';
import type { ResourceType } from './resource-type.ts';
import { secretsManagerSecret } from './secretsmanager-secret.ts';
import { snsSubscription } from './sns-subscription.ts';
import { snsTopic } from './sns-topic.ts';
import { sqsQueue } from './sqs-queue.ts';

/**
 * Supported types, in reading order: a type's reader may look up what the types before it added
 * (a subscription's queue, a mapping's function, a method's API), across all stacks.
 */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  sqsQueue,
  snsTopic,
  snsSubscription,
  dynamodbTable,
  dynamodbGlobalTable,
  lambdaFunction,
  lambdaEventSourceMapping,
  apiGatewayRestApi,
  apiGatewayResource,
  apiGatewayModel,
  apiGatewayRequestValidator,
  apiGatewayMethod,
  apiGatewayStage,
  apiGatewayApiKey,
  apiGatewayUsagePlan,
  apiGatewayGatewayResponse,
  secretsManagerSecret,
];

const BY_TYPE = new Map(RESOURCE_TYPES.map((resourceType) => [resourceType.type, resourceType]));

export function resourceType(type: string): ResourceType | undefined {
  return BY_TYPE.get(type);
}

/**
 * Types with no local meaning (permissions, logging, metrics, deploy-time plumbing): listed as
 * skipped at start-up, never emulated. `*` matches any type of the service.
 */
export const SKIPPED_TYPES: readonly string[] = [
  'AWS::IAM::*',
  'AWS::Logs::*',
  'AWS::CloudWatch::*',
  'AWS::KMS::*',
  'AWS::SSM::*',
  'AWS::CDK::*',
  'AWS::XRay::*',
  'AWS::Budgets::*',
  'AWS::Events::*',
  'AWS::ApplicationAutoScaling::*',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Url',
  'AWS::SQS::QueuePolicy',
  'AWS::SQS::QueueInlinePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::TopicInlinePolicy',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::DocumentationPart',
  'AWS::ApiGateway::DocumentationVersion',
];

/**
 * CDK-provided custom resources whose only job is deploy-time housekeeping. They are skipped, and
 * so is the Lambda function that serves them (found by their ServiceToken).
 */
export const SKIPPED_CUSTOM_RESOURCES: readonly string[] = ['Custom::LogRetention', 'Custom::CDKBucketDeployment', 'Custom::S3AutoDeleteObjects'];

export function isSkippedType(type: string): boolean {
  return SKIPPED_CUSTOM_RESOURCES.includes(type) || SKIPPED_TYPES.some((pattern) => (pattern.endsWith('::*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}
