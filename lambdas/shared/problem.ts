/**
 * RFC 9457 problem details for the producer's HTTP API.
 *
 * Every error the API returns is `application/problem+json` with a stable `type` URN that clients
 * can switch on; `detail` says only what the caller can act on, never internals.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';

export const ProblemSlugs = {
  MalformedJson: 'malformed-json',
  ValidationFailed: 'validation-failed',
  InvalidPathParameter: 'invalid-path-parameter',
  InvalidIdempotencyKey: 'invalid-idempotency-key',
  NotFound: 'not-found',
  IdempotencyInProgress: 'idempotency-in-progress',
  PayloadTooLarge: 'payload-too-large',
  UnsupportedMediaType: 'unsupported-media-type',
  IdempotencyKeyReused: 'idempotency-key-reused',
  PublishFailed: 'publish-failed',
  InternalError: 'internal-error',
  InvalidSignature: 'invalid-signature',
  UnusableDelivery: 'unusable-delivery',
  DeliveryInProgress: 'delivery-in-progress',
} as const;
export type ProblemSlug = (typeof ProblemSlugs)[keyof typeof ProblemSlugs];

const titles: Record<ProblemSlug, string> = {
  'malformed-json': 'Malformed JSON',
  'validation-failed': 'Validation failed',
  'invalid-path-parameter': 'Invalid path parameter',
  'invalid-idempotency-key': 'Invalid Idempotency-Key',
  'not-found': 'Not found',
  'idempotency-in-progress': 'Request with this Idempotency-Key in progress',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'idempotency-key-reused': 'Idempotency-Key reused with a different body',
  'publish-failed': 'Event not published',
  'internal-error': 'Internal error',
  'invalid-signature': 'Invalid webhook signature',
  'unusable-delivery': 'Webhook delivery without a usable id or event type',
  'delivery-in-progress': 'This delivery is still being accepted',
};

/** One failing field of a request body, named by its JSON pointer. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface ProblemOptions extends ErrorOptions {
  readonly errors?: readonly FieldError[];
}

/**
 * An error that is answered to the client as a problem document.
 *
 * @example
 * ```ts
 * throw new ProblemError(415, 'unsupported-media-type', 'Send Content-Type: application/json.');
 * ```
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly slug: ProblemSlug;
  readonly detail: string;
  readonly errors?: readonly FieldError[];

  constructor(status: number, slug: ProblemSlug, detail: string, options: ProblemOptions = {}) {
    super(`${status} ${slug}: ${detail}`, { cause: options.cause });
    this.name = 'ProblemError';
    this.status = status;
    this.slug = slug;
    this.detail = detail;
    this.errors = options.errors;
  }
}

/** The proxy result for a problem: `application/problem+json`, with extra headers if given. */
export const problemResponse = (
  problem: ProblemError,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { ...headers, 'Content-Type': 'application/problem+json' },
  body: JSON.stringify({
    type: `urn:queueflow:problem:${problem.slug}`,
    title: titles[problem.slug],
    status: problem.status,
    detail: problem.detail,
    ...(problem.errors ? { errors: problem.errors } : {}),
  }),
});

export interface ProblemResponsesOptions {
  /** Called with any error that is not a {@link ProblemError}, before it is answered as a 500. */
  readonly onUnexpectedError?: (error: unknown) => void;
}

/**
 * middy middleware that answers a thrown {@link ProblemError} as its problem document and any
 * other error as a bare 500, so an unexpected failure never leaks a stack trace or an SDK message.
 */
export const problemResponses = (
  options: ProblemResponsesOptions = {},
): MiddlewareObj<unknown, APIGatewayProxyResult> => {
  const problemResponsesOnError = (request: {
    error: unknown;
    response: APIGatewayProxyResult | null | undefined;
  }): void => {
    if (request.response !== undefined && request.response !== null) return;
    if (request.error instanceof ProblemError) {
      request.response = problemResponse(request.error);
      return;
    }
    options.onUnexpectedError?.(request.error);
    request.response = problemResponse(
      new ProblemError(500, 'internal-error', 'The request could not be processed; retry later.'),
    );
  };
  return { onError: problemResponsesOnError };
};
