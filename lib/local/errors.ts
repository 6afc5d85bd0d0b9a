/**
 * Errors of the local runtime. Each one names what the user has to fix; `bin/local.ts` prints
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

/** A command-line flag or value the runtime does not accept. */
export class UsageError extends LocalRuntimeError {}

/** The cloud assembly folder or its manifest is missing or unreadable. */
export class AssemblyNotFoundError extends LocalRuntimeError {}

/** The requested stack is not in the cloud assembly. */
export class StackNotFoundError extends LocalRuntimeError {
  constructor(
    readonly stackName: string,
    readonly available: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      `Stack "${stackName}" is not in the cloud assembly (stacks found: ${available.join(', ') || 'none'}). ` +
        'Pass --stack <name> or re-run without --no-synth.',
      options,
    );
  }
}

/**
 * The template uses a resource type, property or intrinsic whose behaviour the runtime would not
 * reproduce. Raised instead of ignoring it, so local runs never silently differ from AWS.
 */
export class UnsupportedTemplateError extends LocalRuntimeError {
  constructor(
    readonly logicalId: string,
    readonly resourceType: string,
    readonly property: string | undefined,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Unsupported in the local runtime: ${logicalId} (${resourceType})${property ? ` property ${property}` : ''}: ${reason}`,
      options,
    );
  }
}

/** An intrinsic function that cannot be resolved locally (unknown logical id, bad arguments, …). */
export class IntrinsicResolutionError extends LocalRuntimeError {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot resolve ${path || 'value'}: ${reason}`, options);
  }
}

/** `cdk synth` (or the toolkit) failed; the message carries its output. */
export class SynthError extends LocalRuntimeError {}

/** A port the runtime must listen on is taken. */
export class PortInUseError extends LocalRuntimeError {
  constructor(
    readonly port: number,
    readonly flag: string,
    options?: ErrorOptions,
  ) {
    super(`Port ${port} is already in use; choose another with ${flag} <port> (0 picks a free one).`, options);
  }
}

/** Creating a queue, topic, subscription or table in the emulators failed. */
export class ProvisioningError extends LocalRuntimeError {}
