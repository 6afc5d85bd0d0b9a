/** The methods the main thread and the AWS endpoint's worker (aws-endpoint-worker.ts) call on each other; types only. */
import type { LambdaStats, RequestStats } from './services.ts';

export interface AwsEndpointStart {
  readonly port: number;
  readonly dataDir?: string;
}

/** Answered by the worker. */
export type AwsEndpointMethods = {
  /** Starts fauxqs, dynalite and the endpoint's server; answers the port it listens on. */
  start(options: AwsEndpointStart): { port: number };
  stats(): RequestStats;
  resetStats(): RequestStats;
  /** Closes the server and the emulators, flushing persisted state; the worker may then be terminated. */
  close(): void;
};

/** Answered by the main thread, where the Lambda host runs. */
export type MainThreadMethods = {
  /** Invocation counts since the host started (the endpoint subtracts its own baseline). */
  lambdaStats(): LambdaStats;
};
