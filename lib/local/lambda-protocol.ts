/** Messages between the Lambda host and its workers (`lambda-worker.ts`); types only. */

/** `workerData` of a Lambda worker: what the init phase needs. */
export interface WorkerInit {
  readonly assetDir: string;
  readonly handler: string;
  readonly functionName: string;
  readonly memorySizeMb: number;
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly sourceMaps: boolean;
}

export interface InvokeMessage {
  readonly id: number;
  readonly event: unknown;
  readonly awsRequestId: string;
  /** Epoch milliseconds at which the invocation times out. */
  readonly deadline: number;
}

/** Text a function wrote to its stdout or stderr, in the order written (possibly ending mid-line). */
export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'output'; readonly chunks: readonly OutputChunk[] }
  | { readonly type: 'init-error'; readonly errorType: string; readonly errorMessage: string; readonly stack?: string }
  | { readonly type: 'result'; readonly id: number; readonly payload: string }
  | { readonly type: 'error'; readonly id: number; readonly errorType: string; readonly errorMessage: string; readonly stack?: string };
