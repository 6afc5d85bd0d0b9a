/**
 * The stack output keys (docs/architecture.md, "Stack outputs"): the workflow writes them, and
 * the CLI, the bench and the tests read outputs back by them, so they are spelt here only.
 */
import { kebabCase, pascalCase } from './naming.ts';

/** The workflow-level outputs. `ApiKeyId` exists only with an API key, `TombstoneTableName` only with an erasing event type. */
export const OutputKeys = {
  ApiUrl: 'ApiUrl',
  ApiKeyId: 'ApiKeyId',
  TopicArn: 'TopicArn',
  /** Only when an event type is ordered. */
  OrderedTopicArn: 'OrderedTopicArn',
  AlarmTopicArn: 'AlarmTopicArn',
  IdempotencyTableName: 'IdempotencyTableName',
  FailureTableName: 'FailureTableName',
  TombstoneTableName: 'TombstoneTableName',
} as const;

export type OutputKey = (typeof OutputKeys)[keyof typeof OutputKeys];

const QUEUE_URL_SUFFIX = 'QueueUrl';
const DLQ_URL_SUFFIX = 'DlqUrl';
const FUNCTION_NAME_SUFFIX = 'FunctionName';

/** The output keys of one consumer. */
export interface ConsumerOutputKeys {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly functionName: string;
}

/**
 * `user-profile` → `UserProfileQueueUrl`, `UserProfileDlqUrl`, `UserProfileFunctionName`.
 *
 * @example
 * outputs[consumerOutputKeys('email').dlqUrl]
 */
export function consumerOutputKeys(consumerName: string): ConsumerOutputKeys {
  const pascal = pascalCase(consumerName);
  return { queueUrl: `${pascal}${QUEUE_URL_SUFFIX}`, dlqUrl: `${pascal}${DLQ_URL_SUFFIX}`, functionName: `${pascal}${FUNCTION_NAME_SUFFIX}` };
}

/** A consumer read back from a stack's outputs. */
export interface ConsumerQueues {
  /** kebab-case, as the consumer was declared (`UserProfile` → `user-profile`). */
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

const QUEUE_URL_KEY = new RegExp(`^([A-Z][A-Za-z0-9]*)${QUEUE_URL_SUFFIX}$`);

/**
 * The inverse of {@link consumerOutputKeys}: every consumer that has both a queue and a DLQ
 * output, sorted by name.
 */
export function consumerQueuesInOutputs(outputs: Readonly<Record<string, string>>): ConsumerQueues[] {
  return Object.entries(outputs)
    .flatMap(([key, queueUrl]) => {
      const pascal = QUEUE_URL_KEY.exec(key)?.[1];
      const dlqUrl = pascal === undefined ? undefined : outputs[`${pascal}${DLQ_URL_SUFFIX}`];
      return pascal === undefined || dlqUrl === undefined ? [] : [{ name: kebabCase(pascal), queueUrl, dlqUrl }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
