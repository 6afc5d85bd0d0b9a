/** Lambda runtime stand-ins for unit tests: environment, context, and event builders. */
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** What every Lambda test needs so the SDK never looks for real credentials or a real region. */
export const baseLambdaEnv = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_LAMBDA_FUNCTION_NAME: 'queueflow-test-function',
  POWERTOOLS_SERVICE_NAME: 'queueflow-test',
} as const;

/**
 * Replaces `process.env` entries for one test file. Returns a restore function for `afterAll`.
 * Handlers read their environment once at import, so set it before importing them.
 */
export const setEnv = (values: Record<string, string | undefined>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  return () => apply(previous);
};

export const lambdaContext = (remainingMs = 30_000): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: baseLambdaEnv.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${baseLambdaEnv.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/queueflow-test-function',
  logStreamName: '2026/11/22/[$LATEST]abc',
  getRemainingTimeInMillis: () => remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export interface ApiRequest {
  readonly method?: string;
  readonly resource?: string;
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  /** `requestContext.identity.apiKeyId`, as API Gateway sets it on a route that requires a key. */
  readonly apiKeyId?: string;
}

/** An API Gateway REST proxy (v1) event. */
export const apiEvent = ({
  method = 'POST',
  resource = '/orders',
  path = resource,
  pathParameters,
  headers = { 'Content-Type': 'application/json' },
  body = null,
  isBase64Encoded = false,
  apiKeyId,
}: ApiRequest): APIGatewayProxyEvent => ({
  resource,
  path,
  httpMethod: method,
  headers,
  multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: pathParameters ?? null,
  stageVariables: null,
  body,
  isBase64Encoded,
  requestContext: {
    accountId: '123456789012',
    apiId: 'api1234567',
    authorizer: undefined,
    httpMethod: method,
    identity: (apiKeyId === undefined ? {} : { apiKeyId }) as APIGatewayProxyEvent['requestContext']['identity'],
    path: `/prod${path}`,
    protocol: 'HTTP/1.1',
    requestId: 'req-1',
    requestTimeEpoch: 0,
    resourceId: 'res1',
    resourcePath: resource,
    stage: 'prod',
  },
});

export interface SqsRecordInput {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount?: number;
}

/** An SQS record as the event source mapping delivers it; the receipt handle is `rh-<messageId>`. */
export const sqsRecord = ({ messageId, body, receiveCount = 1 }: SqsRecordInput): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '1763769600000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1763769600000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queueflow-test',
  awsRegion: 'us-east-1',
});

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/**
 * Captures what Powertools Logger writes (one JSON object per line) and keeps it out of
 * the test output. Call `restore` in `afterEach`.
 */
export const captureLogs = () => {
  const written: string[] = [];
  // Powertools writes INFO and below to stdout and WARN and above to stderr.
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
  }
  return {
    /** Everything logged so far, as raw text. */
    text: () => written.join(''),
    /** Every structured log entry so far. */
    entries: (): Record<string, unknown>[] =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      streams.forEach((stream, index) => {
        stream.write = originals[index]!;
      });
    },
  };
};
