/**
 * The consumers of a stack, read from its output keys (lib/constructs/output-keys.ts): a consumer
 * `user-profile` has the outputs `UserProfileQueueUrl` and `UserProfileDlqUrl`.
 */
import { kebabCase } from '../constructs/naming.ts';
import { consumerQueuesInOutputs, type ConsumerQueues } from '../constructs/output-keys.ts';
import { UnknownConsumerError } from './errors.ts';

/** A consumer as the CLI names it (kebab-case, as on the command line and in failure records). */
export type Consumer = ConsumerQueues;

/** Every consumer that has both a queue and a DLQ output, sorted by name. */
export const consumersFromOutputs = (outputs: Readonly<Record<string, string>>): Consumer[] => consumerQueuesInOutputs(outputs);

/** The named consumer; accepts `user-profile` or `UserProfile`. */
export const findConsumer = (outputs: Readonly<Record<string, string>>, name: string): Consumer => {
  const consumers = consumersFromOutputs(outputs);
  const wanted = kebabCase(name);
  const found = consumers.find((consumer) => consumer.name === wanted);
  if (found === undefined) throw new UnknownConsumerError(name, consumers.map((consumer) => consumer.name));
  return found;
};
