/**
 * Errors of the local runtime. Each one names what the user has to fix; `queueflow local` prints
 * `error.message` and exits non-zero, so messages are written for a person at a terminal.
 */

/**
 * Base class, so callers can tell the runtime's own failures from bugs. `name` is the class name
 * of the error thrown (lib/local is never minified), so subclasses need no constructor of their own.
 */
export class LocalRuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A flag or value the runtime does not accept: the project's one usage error (exit code 2). */
export { UsageError } from '../shared/usage.ts';

/** The cloud assembly folder or its manifest is missing or unreadable. */
export class AssemblyNotFoundError extends LocalRuntimeError {}

/** The requested stack is not in the cloud assembly. */
export class StackNotFoundError extends LocalRuntimeError {
  readonly stackName: string;
  readonly available: readonly string[];

  constructor(stackName: string, available: readonly string[], options?: ErrorOptions) {
    super(
      `Stack "${stackName}" is not in the cloud assembly (stacks found: ${available.join(', ') || 'none'}). ` +
        'Pass --stack <name> or re-run without --no-synth.',
      options,
    );
    this.stackName = stackName;
    this.available = available;
  }
}

/** One thing in a template the local runtime would not reproduce. */
export interface UnsupportedFeature {
  /** The logical id (`Stack/LogicalId` when several stacks run), or an output's key. */
  readonly logicalId: string;
  /** The resource type, or `output`. */
  readonly resourceType: string;
  /** The property (or property path), or undefined when the whole resource is the problem. */
  readonly property?: string;
  readonly reason: string;
}

/**
 * The assembly uses resource types, properties or intrinsics whose behaviour the runtime would not
 * reproduce. Raised instead of ignoring them, so local runs never silently differ from AWS. The
 * reader collects every problem of every stack first, so one run lists all of them.
 */
export class UnsupportedTemplateError extends LocalRuntimeError {
  readonly problems: readonly UnsupportedFeature[];

  constructor(problems: readonly UnsupportedFeature[], options?: ErrorOptions) {
    const lines = problems.map((problem) => `  - ${describeFeature(problem)}`);
    super(
      problems.length === 1
        ? `Unsupported in the local runtime: ${describeFeature(problems[0]!)}`
        : `Unsupported in the local runtime (${problems.length} problems):\n${lines.join('\n')}`,
      options,
    );
    this.problems = problems;
  }
}

function describeFeature({ logicalId, resourceType, property, reason }: UnsupportedFeature): string {
  return `${logicalId} (${resourceType})${property ? ` property ${property}` : ''}: ${reason}`;
}

/** An intrinsic function that cannot be resolved locally (unknown logical id, bad arguments, …). */
export class IntrinsicResolutionError extends LocalRuntimeError {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`Cannot resolve ${path || 'value'}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** `cdk synth` (or the toolkit) failed; the message carries its output. */
export class SynthError extends LocalRuntimeError {}

/** A port the runtime must listen on is taken. */
export class PortInUseError extends LocalRuntimeError {
  readonly port: number;
  readonly flag: string;

  constructor(port: number, flag: string, options?: ErrorOptions) {
    super(`Port ${port} is already in use; choose another with ${flag} <port> (0 picks a free one).`, options);
    this.port = port;
    this.flag = flag;
  }
}

/** Creating a queue, topic, subscription or table in the emulators failed. */
export class ProvisioningError extends LocalRuntimeError {}

/** The AWS endpoint's worker thread (services.ts) ended other than by closing it. */
export class AwsEndpointStoppedError extends LocalRuntimeError {
  readonly exitCode: number;

  constructor(exitCode: number, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`The AWS endpoint (SQS, SNS, DynamoDB) stopped unexpectedly, exit code ${exitCode}${cause}.`, options);
    this.exitCode = exitCode;
  }
}
