import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';

/**
 * Grants item-level DynamoDB actions on `table`, limited to the items whose partition key starts
 * with `<keyPrefix>#`: the tables a workflow shares (idempotency, failures, tombstones, a ledger)
 * hold every function's items side by side, and one function must not read or overwrite another's.
 *
 * `dynamodb:LeadingKeys` is the partition key value of the request; with `ForAllValues:StringLike`
 * every key a request names must match. Only item-level actions belong here: an action without a
 * key (Scan) would pass a `ForAllValues` condition vacuously.
 */
export function grantOwnItems(table: ITable, grantee: IGrantable, keyPrefix: string, actions: readonly ItemAction[]): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: actions.map((action) => `dynamodb:${action}`),
    resourceArns: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${keyPrefix}#*`] } },
  });
}

/** DynamoDB actions that always name the partition key of every item they touch. */
export type ItemAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';
