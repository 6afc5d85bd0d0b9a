import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface QueueflowTableProps {
  /** Name of the string partition key. */
  readonly partitionKey: string;
  /** Epoch-seconds attribute DynamoDB expires items by. @default - no TTL */
  readonly timeToLiveAttribute?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * An on-demand table with point-in-time recovery, encrypted with the AWS-managed
 * `aws/dynamodb` key: encryption shows in the template and in CloudTrail, yet needs no key policy
 * or grants of ours.
 */
export function createQueueflowTable(scope: Construct, id: string, props: QueueflowTableProps): Table {
  return new Table(scope, id, {
    partitionKey: { name: props.partitionKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: props.timeToLiveAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy: props.removalPolicy,
  });
}
