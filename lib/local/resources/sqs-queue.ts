import type { ResourceType, TemplateResource } from './resource-type.ts';

const ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  // FIFO: group order, locking and the 5-minute deduplication window are the emulator's (patched, patches/).
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
];
const POLICIES = ['RedrivePolicy', 'RedriveAllowPolicy'];

const isFifo = (resource: TemplateResource) => String(resource.resolved('FifoQueue')) === 'true';
/** CloudFormation names a FIFO queue without a QueueName `<generated>.fifo`: SQS requires the suffix. */
const queueName = (resource: TemplateResource) => {
  const name = resource.physicalName('QueueName');
  return isFifo(resource) && !name.endsWith('.fifo') ? `${name}.fifo` : name;
};
const queueArn = (resource: TemplateResource) => resource.stack.arn('sqs', queueName(resource));

/** An SQS queue (standard or FIFO) in the local SQS emulator, with its redrive policy (the DLQ move is the emulator's). */
export const sqsQueue: ResourceType = {
  type: 'AWS::SQS::Queue',
  summary:
    'A standard or FIFO queue in the local SQS emulator; the redrive policy moves messages to the DLQ after maxReceiveCount receives, as SQS does. FIFO: order and locking per message group, the 5-minute deduplication window (throughput limits are not emulated).',
  properties: {
    used: ['QueueName', ...ATTRIBUTES, ...POLICIES],
    ignored: ['SqsManagedSseEnabled', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'Tags'],
  },
  refDescription: 'the queue URL on the local endpoint',
  ref: (resource) => resource.stack.queueUrl(queueName(resource)),
  attributes: {
    Arn: queueArn,
    QueueName: queueName,
    QueueUrl: (resource) => resource.stack.queueUrl(queueName(resource)),
  },
  read(resource, model) {
    const attributes: Record<string, string> = {};
    for (const key of ATTRIBUTES) {
      const value = resource.resolved(key);
      if (value !== undefined) attributes[key] = String(value);
    }
    for (const key of POLICIES) {
      const value = resource.resolved(key);
      if (value !== undefined) attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const name = queueName(resource);
    model.queues.push({ logicalId: resource.id, name, url: resource.stack.queueUrl(name), arn: queueArn(resource), attributes });
  },
};
