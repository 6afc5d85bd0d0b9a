/**
 * AWS list prices used to turn the local runtime's request counts into dollars. us-east-1,
 * on-demand, no free tier, first pricing tier. The figures are those of the AWS pricing pages
 * below as published in 2025 (DynamoDB after its 1 November 2024 on-demand price cut), compared
 * on 2026-11-22 with secondary sources quoting them (the build machine cannot reach
 * aws.amazon.com). Update `asOf` and the figures together.
 *
 * Sources:
 * - SNS: https://aws.amazon.com/sns/pricing/ — $0.50 per million publishes (each 64 KB chunk of
 *   a payload is one request); deliveries to SQS queues are free.
 * - SQS: https://aws.amazon.com/sqs/pricing/ — standard queues $0.40 per million requests after
 *   the first million (each 64 KB chunk is one request; a batch of up to 10 is one request).
 * - DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/ — on-demand, after the
 *   1 November 2024 price cut: $0.625 per million write request units, $0.125 per million read
 *   request units (standard table class).
 * - Lambda: https://aws.amazon.com/lambda/pricing/ — $0.20 per million requests; arm64
 *   $0.0000133334 per GB-second (first pricing tier).
 * - API Gateway: https://aws.amazon.com/api-gateway/pricing/ — REST APIs $3.50 per million
 *   requests (first 333 million).
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025 list prices, compared 2026-11-22',
  snsPublishPerMillion: 0.5,
  snsToSqsDeliveryPerMillion: 0,
  sqsRequestPerMillion: 0.4,
  dynamoDbWriteUnitPerMillion: 0.625,
  dynamoDbReadUnitPerMillion: 0.125,
  lambdaRequestPerMillion: 0.2,
  lambdaArm64PerGbSecond: 0.0000133334,
  lambdaX86PerGbSecond: 0.0000166667,
  apiGatewayRestPerMillion: 3.5,
  /** SNS and SQS bill a request per started 64 KiB of payload. */
  chunkBytes: 65_536,
} as const;
