/**
 * The CLI's error hierarchy. Each error carries the process exit code it maps to, so commands
 * throw and only the entry point decides how to exit: 1 for an operational failure, 2 for a
 * usage error (the caller can fix the command line; the project's one `UsageError`).
 */
import { USAGE_EXIT_CODE, UsageError } from '../shared/usage.ts';

export { UsageError };

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: USAGE_EXIT_CODE,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a failure the CLI explains in one message, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode = ExitCode.failed;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The consumer named on the command line is not in the stack's outputs. */
export class UnknownConsumerError extends UsageError {
  readonly consumer: string;
  readonly known: readonly string[];

  constructor(consumer: string, known: readonly string[], options?: ErrorOptions) {
    super(
      `unknown consumer "${consumer}"; known consumers: ${known.length > 0 ? known.join(', ') : '(none in the stack outputs)'}`,
      options,
    );
    this.name = 'UnknownConsumerError';
    this.consumer = consumer;
    this.known = known;
  }
}

export class StackNotFoundError extends CliError {
  readonly stackName: string;
  readonly region: string | undefined;

  constructor(stackName: string, region: string | undefined, options?: ErrorOptions) {
    super(
      `stack "${stackName}" was not found${region === undefined ? '' : ` in ${region}`}; pass --stack <name> and --region <region> of a deployed queueflow stack, or --local for the local runtime`,
      options,
    );
    this.name = 'StackNotFoundError';
    this.stackName = stackName;
    this.region = region;
  }
}

export class MissingCredentialsError extends CliError {
  constructor(options?: ErrorOptions) {
    super(
      'no AWS credentials found: configure the default credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO via `aws sso login`), or use --local for the local runtime',
      options,
    );
    this.name = 'MissingCredentialsError';
  }
}

export class MissingRegionError extends CliError {
  constructor(options?: ErrorOptions) {
    super('no AWS region: pass --region <region> or set AWS_REGION', options);
    this.name = 'MissingRegionError';
  }
}

export class LocalRuntimeNotRunningError extends CliError {
  constructor(detail: string, options?: ErrorOptions) {
    super(`local runtime is not running (${detail}); start it with npm start`, options);
    this.name = 'LocalRuntimeNotRunningError';
  }
}

/** A redrive finished but did not move every message. */
export class RedriveIncompleteError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedriveIncompleteError';
  }
}

/** The exit code an error thrown by a command maps to: its own for the CLI's errors, else 1. */
export const exitCodeOf = (error: unknown): ExitCode =>
  error instanceof CliError || error instanceof UsageError ? error.exitCode : ExitCode.failed;

const named = (error: unknown, name: string): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;

/**
 * Turns the SDK's errors that have a known remedy into CLI errors; anything else passes through
 * and is reported with its own message.
 */
export const explainAwsError = (error: unknown): unknown => {
  if (error instanceof CliError || error instanceof UsageError) return error;
  if (named(error, 'CredentialsProviderError')) return new MissingCredentialsError({ cause: error });
  if (error instanceof Error && error.message === 'Region is missing') return new MissingRegionError({ cause: error });
  // Stack outputs that name a deleted queue, or a local runtime restarted with other queue names.
  if (named(error, 'QueueDoesNotExist')) {
    return new CliError(`a queue named in the stack outputs does not exist (${(error as Error).message}); is the stack up to date?`, { cause: error });
  }
  return error;
};
