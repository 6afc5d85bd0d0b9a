import { functionByReference, isTrue, type ResourceType } from './resource-type.ts';

/** An SQS event source mapping (SqsEventSource), run by the event-source poller. */
export const lambdaEventSourceMapping: ResourceType = {
  type: 'AWS::Lambda::EventSourceMapping',
  summary:
    'An SQS event source (SqsEventSource) run by the local poller: batch size, batching window, maximum concurrency, ReportBatchItemFailures. Other event sources (streams, Kafka, MQ) and FilterCriteria are reported.',
  properties: {
    used: ['FunctionName', 'EventSourceArn', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'ScalingConfig', 'FunctionResponseTypes', 'Enabled'],
    ignored: ['Tags', 'MetricsConfig'],
  },
  refDescription: 'the logical id (a placeholder for the mapping UUID)',
  ref: (resource) => resource.logicalId,
  attributes: { EventSourceMappingArn: (resource) => resource.stack.arn('lambda', `event-source-mapping:${resource.logicalId}`) },
  read(resource, model) {
    const sourceArn = resource.string('EventSourceArn');
    const queue = model.queues.find((candidate) => candidate.arn === sourceArn);
    if (!queue) return resource.unsupported('EventSourceArn', `event source ${String(sourceArn)} is not an SQS queue of the assembly (only SQS event sources run locally)`);
    const fn = functionByReference(resource.string('FunctionName') ?? '', model.functions);
    if (!fn) return resource.unsupported('FunctionName', 'the target is not a function of the assembly');
    const scaling = resource.resolved('ScalingConfig') as { MaximumConcurrency?: unknown } | undefined;
    const responseTypes = (resource.resolved('FunctionResponseTypes') ?? []) as string[];
    model.eventSourceMappings.push({
      logicalId: resource.id,
      functionLogicalId: fn.logicalId,
      queueArn: queue.arn,
      queueUrl: queue.url,
      batchSize: Number(resource.resolved('BatchSize') ?? 10),
      maximumBatchingWindowSeconds: Number(resource.resolved('MaximumBatchingWindowInSeconds') ?? 0),
      ...(scaling?.MaximumConcurrency === undefined ? {} : { maximumConcurrency: Number(scaling.MaximumConcurrency) }),
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      enabled: resource.resolved('Enabled') === undefined || isTrue(resource.resolved('Enabled')),
    });
  },
};
