/**
 * The AWS endpoint's worker thread: runs aws-endpoint.ts when the main thread (services.ts) calls
 * `start`, and answers its `stats`, `resetStats` and `close`. The Lambda invocation counts for
 * the stats route are asked of the main thread, where the Lambda host runs.
 */
import { parentPort } from 'node:worker_threads';
import { startAwsEndpoint, type AwsEndpoint } from './aws-endpoint.ts';
import type { AwsEndpointMethods, MainThreadMethods } from './aws-endpoint-protocol.ts';
import { ThreadChannel } from './thread-channel.ts';

if (!parentPort) throw new Error('aws-endpoint-worker.ts runs as a worker thread, started by startServices');

let endpoint: AwsEndpoint | undefined;
const started = () => {
  if (!endpoint) throw new Error('The AWS endpoint is not started');
  return endpoint;
};

const channel: ThreadChannel<MainThreadMethods, AwsEndpointMethods> = new ThreadChannel<MainThreadMethods, AwsEndpointMethods>(parentPort, {
  async start(options) {
    endpoint = await startAwsEndpoint({ ...options, lambdaStats: () => channel.call('lambdaStats') });
    return { port: endpoint.port };
  },
  stats: () => started().stats(),
  resetStats: () => started().resetStats(),
  close: () => endpoint?.close(),
});
