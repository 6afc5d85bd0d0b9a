import { readSubscription } from './sns-subscription.ts';
import type { ResourceType, TemplateResource } from './resource-type.ts';

const topicName = (resource: TemplateResource) => resource.physicalName('TopicName');
const topicArn = (resource: TemplateResource) => resource.stack.arn('sns', topicName(resource));

/** A standard SNS topic in the local SNS emulator; inline `Subscription` entries are read as subscriptions. */
export const snsTopic: ResourceType = {
  type: 'AWS::SNS::Topic',
  summary: 'A standard topic in the local SNS emulator. Inline `Subscription` entries are read like AWS::SNS::Subscription resources (sqs delivered, email/sms skipped).',
  properties: {
    used: ['TopicName', 'Subscription'],
    ignored: ['DisplayName', 'KmsMasterKeyId', 'Tags', 'TracingConfig', 'SignatureVersion', 'DeliveryStatusLogging', 'ArchivePolicy'],
  },
  refDescription: 'the topic ARN',
  ref: topicArn,
  attributes: { TopicArn: topicArn, TopicName: topicName },
  read(resource, model) {
    const arn = topicArn(resource);
    model.topics.push({ logicalId: resource.id, name: topicName(resource), arn });
    const inline = (resource.resolved('Subscription') ?? []) as { Protocol?: unknown; Endpoint?: unknown }[];
    inline.forEach((item, index) => {
      const subscription = readSubscription(resource, `${resource.id}.Subscription[${index}]`, { TopicArn: arn, Protocol: item.Protocol, Endpoint: item.Endpoint });
      if (subscription) model.subscriptions.push(subscription);
    });
  },
};
