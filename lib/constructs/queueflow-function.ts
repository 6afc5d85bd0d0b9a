import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, ApplicationLogLevel, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { writeEventValidatorsModule, type EventTypeSchemas } from './event-validators.ts';
import { recordLocalBundling } from './record-local-bundling.ts';

/**
 * Which credential sources the AWS SDK clients in a function's bundle can use.
 *
 * The SDK clients resolve credentials through `@aws-sdk/credential-provider-node`, the default
 * chain, which bundles every source with the STS and SSO clients they need (about 120 KiB of a
 * 530 KiB consumer bundle, and a fifth of its start-up). A Lambda function receives its role's
 * credentials in environment variables, the chain's first link, so queueflow's bundles alias the
 * chain to that link alone (lambdas/shared/environment-credentials.ts).
 */
export const SdkCredentials = {
  /** Environment variables only (`fromEnv`): what Lambda provides. */
  ENVIRONMENT: 'environment',
  /**
   * The SDK's whole default chain, for code that relies on another source through it: a profile
   * (AWS_PROFILE, ini files, `credential_process`), SSO, a web identity token file, the container
   * or instance metadata endpoint.
   */
  DEFAULT_CHAIN: 'default-chain',
} as const;
export type SdkCredentials = (typeof SdkCredentials)[keyof typeof SdkCredentials];

// Beside this module: TypeScript in this repository, the compiled JavaScript in the installed package.
const ENVIRONMENT_CREDENTIALS_MODULE = fileURLToPath(
  new URL(`../../lambdas/shared/environment-credentials${extname(import.meta.url)}`, import.meta.url),
);

/** What differs between queueflow's functions; everything else is the house default below. */
export interface QueueflowFunctionProps {
  /** Path to the handler file exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** esbuild `define` replacements baked into the bundle. @default - none */
  readonly define?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Applies to the function's log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default SdkCredentials.ENVIRONMENT */
  readonly sdkCredentials?: SdkCredentials;
  /**
   * The event types whose validators the bundle carries (generated at synth, injected as
   * `QUEUEFLOW_EVENT_VALIDATORS`; see lib/constructs/event-validators.ts).
   * @default - none
   */
  readonly eventTypes?: readonly EventTypeSchemas[];
}

export const DEFAULT_FUNCTION_TIMEOUT = Duration.seconds(30);

/**
 * Bundling shared by every queueflow function.
 *
 * `@aws-sdk/*` is bundled, not left external to the runtime's copy: the function then runs the
 * exact SDK version our lock file pins and our tests ran against (the runtime's copy changes
 * under us), esbuild tree-shakes it as ESM, and the local runtime can run the same bundle on any
 * Node.js without an SDK next to it. The cost is bundle size, which the README records.
 *
 * The banner gives ESM output a `require` for the few CommonJS dependencies that call it.
 *
 * The source map is built and shipped in the asset, but not enabled at run time (no
 * `--enable-source-maps`): Node.js would parse it on the first error of each execution
 * environment, 100–190 ms on a fast core (docs/performance.md, "Source maps"). A stack trace in
 * the logs names minified positions of `index.mjs`, which the map beside it in the asset resolves;
 * `queueflow local` maps them as it runs.
 */
export function defaultBundling(define?: Record<string, string>, options: { readonly sdkCredentials?: SdkCredentials; readonly inject?: readonly string[] } = {}): BundlingOptions {
  const credentials = options.sdkCredentials ?? SdkCredentials.ENVIRONMENT;
  return {
    format: OutputFormat.ESM,
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    // Stack traces need file and line, not the sources: keeping them out halves the map.
    sourcesContent: false,
    target: 'node24',
    externalModules: [],
    banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    define,
    ...(options.inject && options.inject.length > 0 ? { inject: [...options.inject] } : {}),
    ...(credentials === SdkCredentials.ENVIRONMENT
      ? { esbuildArgs: { '--alias': [`@aws-sdk/credential-provider-node=${ENVIRONMENT_CREDENTIALS_MODULE}`] } }
      : {}),
  };
}

/**
 * A Node.js 24 arm64 function bundled by local esbuild (its esbuild options recorded in its
 * Metadata for `queueflow local`, see `recordLocalBundling`), with its own log group so logs have a
 * retention instead of living forever in the implicit `/aws/lambda/<name>` group.
 *
 * Its role starts empty instead of with AWSLambdaBasicExecutionRole (CreateLogGroup and
 * PutLogEvents on every log group): it may write to its own log group only, and callers add
 * each other permission through grants.
 */
export function createQueueflowFunction(scope: Construct, id: string, props: QueueflowFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  logGroup.grantWrite(role);
  const runtime = Runtime.NODEJS_24_X;
  const inject = props.eventTypes === undefined ? [] : [writeEventValidatorsModule(scope, props.eventTypes)];
  const bundling = defaultBundling(props.define, { sdkCredentials: props.sdkCredentials, inject });
  const fn = new NodejsFunction(scope, id, {
    role,
    entry: props.entry,
    description: props.description,
    runtime,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? DEFAULT_FUNCTION_TIMEOUT,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    applicationLogLevelV2: ApplicationLogLevel.INFO,
    systemLogLevelV2: SystemLogLevel.WARN,
    environment: { ...props.environment },
    bundling,
  });
  // `queueflow local` rebuilds the bundle from this record when a source changes, without a synth.
  recordLocalBundling(fn, { entry: props.entry, runtime, bundling });
  return fn;
}
