import { describe, expect, it } from 'vitest';
import { consumersFromOutputs, findConsumer } from '../../../lib/cli/consumers.ts';
import { UnknownConsumerError } from '../../../lib/cli/errors.ts';
import { OUTPUTS } from './cli-fixtures.ts';

describe('consumersFromOutputs', () => {
  it('finds every consumer with a queue and a DLQ, named in kebab-case', () => {
    // Prepare
    const outputs = { ...OUTPUTS, UserProfileQueueUrl: 'q', UserProfileDlqUrl: 'd', OrphanQueueUrl: 'no dlq' };

    // Act
    const consumers = consumersFromOutputs(outputs);

    // Assess
    expect(consumers).toEqual([
      { name: 'email', queueUrl: OUTPUTS.EmailQueueUrl, dlqUrl: OUTPUTS.EmailDlqUrl },
      { name: 'inventory', queueUrl: OUTPUTS.InventoryQueueUrl, dlqUrl: OUTPUTS.InventoryDlqUrl },
      { name: 'user-profile', queueUrl: 'q', dlqUrl: 'd' },
    ]);
  });
});

describe('findConsumer', () => {
  const outputs = { ...OUTPUTS, UserProfileQueueUrl: 'q', UserProfileDlqUrl: 'd' };

  it.each(['user-profile', 'UserProfile'])('accepts %s', (name) => {
    expect(findConsumer(outputs, name).dlqUrl).toBe('d');
  });

  it('lists the known consumers when the name is unknown', () => {
    // Act
    const find = () => findConsumer(outputs, 'billing');

    // Assess
    expect(find).toThrow(UnknownConsumerError);
    expect(find).toThrow('unknown consumer "billing"; known consumers: email, inventory, user-profile');
  });
});
