import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, ApplicationLogLevel, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { recordLocalBundling } from './record-local-bundling.ts';

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
 */
export function defaultBundling(define?: Record<string, string>): BundlingOptions {
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
  const bundling = defaultBundling(props.define);
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
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    bundling,
  });
  // `queueflow local` rebuilds the bundle from this record when a source changes, without a synth.
  recordLocalBundling(fn, { entry: props.entry, runtime, bundling });
  return fn;
}
