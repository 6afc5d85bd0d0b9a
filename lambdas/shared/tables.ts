/**
 * Attribute names of queueflow's own tables and the default idempotency window: defined here
 * once, used by the constructs that create the tables, the functions that write them and the CLI
 * that reads them.
 */
export const TableAttributes = {
  /** Partition key of the idempotency table (Powertools idempotency records). */
  idempotencyKey: 'id',
  /** Partition key of the failure and tombstone tables. */
  recordKey: 'pk',
  /** The TTL attribute of every queueflow table: epoch seconds after which DynamoDB may delete the item. */
  expiration: 'expiration',
} as const;

/** How long an `Idempotency-Key` (producer) or a processed event id (consumers) is remembered by default. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;
