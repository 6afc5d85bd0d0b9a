import type { ResourceType, TemplateResource } from './resource-type.ts';

const ATTRIBUTES = ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds'];
const POLICIES = ['RedrivePolicy', 'RedriveAllowPolicy'];

const queueName = (resource: TemplateResource) => resource.physicalName('QueueName');
const queueArn = (resource: TemplateResource) => resource.stack.arn('sqs', queueName(resource));

/** A standard SQS queue in the local SQS emulator, with its redrive policy (the DLQ move is the emulator's). */
export const sqsQueue: ResourceType = {
  type: 'AWS::SQS::Queue',
  summary: 'A standard queue in the local SQS emulator; the redrive policy moves messages to the DLQ after maxReceiveCount receives, as SQS does.',
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
      const value = resource.string(key);
      if (value !== undefined) attributes[key] = value;
    }
    for (const key of POLICIES) {
      const value = resource.resolved(key);
      if (value !== undefined) attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const name = queueName(resource);
    model.queues.push({ logicalId: resource.id, name, url: resource.stack.queueUrl(name), arn: queueArn(resource), attributes });
  },
};
