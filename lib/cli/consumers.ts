/**
 * The consumers of a stack, read from its output keys (docs/architecture.md): a consumer
 * `user-profile` has the outputs `UserProfileQueueUrl` and `UserProfileDlqUrl`.
 */
import { UnknownConsumerError } from './errors.ts';

export interface Consumer {
  /** kebab-case, as the consumer is named on the command line and in failure records. */
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

const QUEUE_URL_KEY = /^([A-Z][A-Za-z0-9]*)QueueUrl$/;

const kebabCase = (pascal: string): string => pascal.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();

/** Every consumer that has both a queue and a DLQ output, sorted by name. */
export const consumersFromOutputs = (outputs: Readonly<Record<string, string>>): Consumer[] =>
  Object.entries(outputs)
    .flatMap(([key, queueUrl]) => {
      const pascal = QUEUE_URL_KEY.exec(key)?.[1];
      const dlqUrl = pascal === undefined ? undefined : outputs[`${pascal}DlqUrl`];
      return pascal === undefined || dlqUrl === undefined ? [] : [{ name: kebabCase(pascal), queueUrl, dlqUrl }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));

/** The named consumer; accepts `user-profile` or `UserProfile`. */
export const findConsumer = (outputs: Readonly<Record<string, string>>, name: string): Consumer => {
  const consumers = consumersFromOutputs(outputs);
  const wanted = kebabCase(name);
  const found = consumers.find((consumer) => consumer.name === wanted);
  if (found === undefined) throw new UnknownConsumerError(name, consumers.map((consumer) => consumer.name));
  return found;
};
