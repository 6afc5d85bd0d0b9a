import type { LocalTable } from '../model.ts';
import { localId, type ResourceType, type TemplateResource } from './resource-type.ts';

const tableName = (resource: TemplateResource) => resource.physicalName('TableName');
const tableArn = (resource: TemplateResource) => resource.stack.arn('dynamodb', `table/${tableName(resource)}`);

/** Capacity settings of an index: dynalite needs its own, so the template's are dropped. */
const CAPACITY = new Set(['ProvisionedThroughput', 'WarmThroughput', 'OnDemandThroughput', 'ContributorInsightsSpecification']);

function readTable(resource: TemplateResource): LocalTable {
  const ttl = resource.resolved('TimeToLiveSpecification') as { AttributeName?: string; Enabled?: unknown } | undefined;
  const indexes = resource.resolved('GlobalSecondaryIndexes') as Record<string, unknown>[] | undefined;
  const name = tableName(resource);
  return {
    logicalId: resource.id,
    name,
    arn: tableArn(resource),
    keySchema: resource.resolved('KeySchema') as LocalTable['keySchema'],
    attributeDefinitions: resource.resolved('AttributeDefinitions') as LocalTable['attributeDefinitions'],
    ...(indexes ? { globalSecondaryIndexes: indexes.map((index) => Object.fromEntries(Object.entries(index).filter(([key]) => !CAPACITY.has(key)))) } : {}),
    ...(ttl?.AttributeName && String(ttl.Enabled) !== 'false' ? { ttlAttribute: ttl.AttributeName } : {}),
  };
}

/** A table in dynalite with its keys and global secondary indexes. */
export const dynamodbTable: ResourceType = {
  type: 'AWS::DynamoDB::Table',
  summary:
    'A table in dynalite with its key schema and global secondary indexes. dynalite does not expire items: code that relies on TTL must check expiry itself (Powertools idempotency does).',
  properties: {
    used: ['TableName', 'KeySchema', 'AttributeDefinitions', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'],
    ignored: [
      'BillingMode', 'ProvisionedThroughput', 'PointInTimeRecoverySpecification', 'SSESpecification', 'Tags', 'DeletionProtectionEnabled',
      'ContributorInsightsSpecification', 'TableClass', 'StreamSpecification', 'WarmThroughput', 'OnDemandThroughput', 'ResourcePolicy',
    ],
  },
  refDescription: 'the table name',
  ref: tableName,
  attributes: {
    Arn: tableArn,
    StreamArn: (resource) => `${tableArn(resource)}/stream/local`,
  },
  read(resource, model) {
    model.tables.push(readTable(resource));
  },
};

/** A global table, run as one local table (replicas are a deploy-time concern). */
export const dynamodbGlobalTable: ResourceType = {
  ...dynamodbTable,
  type: 'AWS::DynamoDB::GlobalTable',
  summary: 'One table in dynalite, as AWS::DynamoDB::Table; replicas are not modelled (one region locally).',
  properties: {
    used: ['TableName', 'KeySchema', 'AttributeDefinitions', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'],
    ignored: ['BillingMode', 'Replicas', 'SSESpecification', 'StreamSpecification', 'WriteProvisionedThroughputSettings', 'WriteOnDemandThroughputSettings', 'WarmThroughput'],
  },
  attributes: { ...dynamodbTable.attributes, TableId: (resource) => localId(resource.id) },
};
