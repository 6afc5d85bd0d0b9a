import type { LocalSubscription } from '../model.ts';
import { isTrue, localId, type ResourceType, type TemplateResource } from './resource-type.ts';

/**
 * Subscription protocols that deliver to a person (an alarm topic's email, for one): nothing in the
 * stack reacts to the delivery, so such a subscription is listed as skipped; nobody gets mail or
 * texts locally. Any other protocol but sqs would change behaviour and is reported.
 */
const PERSON_PROTOCOLS: ReadonlySet<string> = new Set(['email', 'email-json', 'sms']);

/**
 * The SQS subscription in `properties` (already resolved), or undefined for a person's
 * subscription, which is listed as skipped. Shared with the inline subscriptions of a topic.
 */
export function readSubscription(resource: TemplateResource, id: string, properties: Record<string, unknown>): LocalSubscription | undefined {
  const protocol = properties.Protocol;
  if (typeof protocol === 'string' && PERSON_PROTOCOLS.has(protocol)) {
    resource.stack.skip(id, 'AWS::SNS::Subscription', `${protocol}, not delivered locally`);
    return undefined;
  }
  if (protocol !== 'sqs') {
    resource.unsupported(
      'Protocol',
      `protocol ${String(protocol)} is not emulated (only sqs; ${[...PERSON_PROTOCOLS].join(', ')} are skipped as deliveries to a person)`,
    );
  }
  const { FilterPolicy: filterPolicy, FilterPolicyScope: scope } = properties;
  if (scope !== undefined && scope !== 'MessageAttributes' && scope !== 'MessageBody') {
    resource.unsupported('FilterPolicyScope', `scope ${String(scope)} is not one of MessageAttributes, MessageBody`);
  }
  return {
    logicalId: id,
    topicArn: String(properties.TopicArn),
    queueArn: String(properties.Endpoint),
    rawMessageDelivery: isTrue(properties.RawMessageDelivery),
    ...(filterPolicy === undefined ? {} : { filterPolicy: typeof filterPolicy === 'string' ? filterPolicy : JSON.stringify(filterPolicy) }),
    ...(scope === undefined ? {} : { filterPolicyScope: scope }),
  };
}

/** An SNS → SQS subscription with its filter policy (attribute or message-body scope) and raw delivery. */
export const snsSubscription: ResourceType = {
  type: 'AWS::SNS::Subscription',
  summary:
    'An SNS → SQS subscription in the emulator, with FilterPolicy (MessageAttributes or MessageBody scope) and RawMessageDelivery. email, email-json and sms subscriptions are skipped; other protocols are reported.',
  properties: {
    // A subscription DLQ only receives deliveries SNS could not make; local SNS → SQS delivery
    // cannot fail that way, so ignoring RedrivePolicy is exact.
    used: ['TopicArn', 'Protocol', 'Endpoint', 'RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope'],
    ignored: ['Region', 'RedrivePolicy', 'DeliveryPolicy', 'SubscriptionRoleArn', 'ReplayPolicy'],
  },
  refDescription: 'the subscription ARN (`<topic ARN>:<local id>`)',
  ref: (resource) => `${resource.string('TopicArn')}:${localId(resource.id)}`,
  attributes: {},
  read(resource, model) {
    const properties = Object.fromEntries(
      ['TopicArn', 'Protocol', 'Endpoint', 'RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope'].map((name) => [name, resource.resolved(name)]),
    );
    const subscription = readSubscription(resource, resource.id, properties);
    if (subscription) model.subscriptions.push(subscription);
  },
};
