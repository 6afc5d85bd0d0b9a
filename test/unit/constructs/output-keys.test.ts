import { describe, expect, it } from 'vitest';
import { consumerOutputKeys, consumerQueuesInOutputs } from '../../../lib/constructs/output-keys.ts';

describe('consumerOutputKeys', () => {
  it('names a consumer\'s outputs after its PascalCase name (docs/architecture.md)', () => {
    // Act
    const keys = consumerOutputKeys('user-profile');

    // Assess: the literal keys are the contract the CLI and deployed stacks rely on
    expect(keys).toEqual({ queueUrl: 'UserProfileQueueUrl', dlqUrl: 'UserProfileDlqUrl', functionName: 'UserProfileFunctionName' });
  });
});

describe('consumerQueuesInOutputs', () => {
  it.each(['email', 'user-profile', 'sms2'])('reads back the consumer %s from the keys consumerOutputKeys names', (name) => {
    // Prepare
    const keys = consumerOutputKeys(name);
    const outputs = { [keys.queueUrl]: 'q', [keys.dlqUrl]: 'd', [keys.functionName]: 'f', ApiUrl: 'u' };

    // Act
    const consumers = consumerQueuesInOutputs(outputs);

    // Assess
    expect(consumers).toEqual([{ name, queueUrl: 'q', dlqUrl: 'd' }]);
  });

  it('leaves out a queue without a DLQ output', () => {
    expect(consumerQueuesInOutputs({ OrphanQueueUrl: 'q' })).toEqual([]);
  });
});
