import { readSubscription } from './sns-subscription.ts';
import type { ResourceType, TemplateResource } from './resource-type.ts';

const isFifo = (resource: TemplateResource) => String(resource.resolved('FifoTopic')) === 'true';
/** A FIFO topic's name ends in .fifo; CloudFormation adds it to a name it generates. */
const topicName = (resource: TemplateResource) => {
  const name = resource.physicalName('TopicName');
  return isFifo(resource) && !name.endsWith('.fifo') ? `${name}.fifo` : name;
};
const topicArn = (resource: TemplateResource) => resource.stack.arn('sns', topicName(resource));

/** An SNS topic (standard or FIFO) in the local SNS emulator; inline `Subscription` entries are read as subscriptions. */
export const snsTopic: ResourceType = {
  type: 'AWS::SNS::Topic',
  summary:
    'A standard or FIFO topic in the local SNS emulator (FIFO: MessageGroupId and MessageDeduplicationId passed on to FIFO queues; throughput limits are not emulated). Inline `Subscription` entries are read like AWS::SNS::Subscription resources (sqs delivered, email/sms skipped).',
  properties: {
    used: ['TopicName', 'Subscription', 'FifoTopic', 'ContentBasedDeduplication'],
    ignored: ['DisplayName', 'KmsMasterKeyId', 'Tags', 'TracingConfig', 'SignatureVersion', 'DeliveryStatusLogging', 'ArchivePolicy', 'FifoThroughputScope'],
  },
  refDescription: 'the topic ARN',
  ref: topicArn,
  attributes: { TopicArn: topicArn, TopicName: topicName },
  read(resource, model) {
    const arn = topicArn(resource);
    const attributes: Record<string, string> = {};
    for (const key of ['FifoTopic', 'ContentBasedDeduplication']) {
      const value = resource.resolved(key);
      if (value !== undefined) attributes[key] = String(value);
    }
    model.topics.push({ logicalId: resource.id, name: topicName(resource), arn, attributes });
    const inline = (resource.resolved('Subscription') ?? []) as { Protocol?: unknown; Endpoint?: unknown }[];
    inline.forEach((item, index) => {
      const subscription = readSubscription(resource, `${resource.id}.Subscription[${index}]`, { TopicArn: arn, Protocol: item.Protocol, Endpoint: item.Endpoint });
      if (subscription) model.subscriptions.push(subscription);
    });
  },
};
