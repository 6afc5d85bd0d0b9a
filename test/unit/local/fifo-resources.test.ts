import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCloudAssembly } from '../../../lib/local/template-reader.ts';

// FIFO queues and topics as CloudFormation declares them (CDK's fifo: true leaves QueueName unset:
// CloudFormation then generates a name ending in .fifo, as SQS requires).
const read = (resources: Record<string, unknown>) => {
  const dir = mkdtempSync(join(tmpdir(), 'queueflow-assembly-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ version: '48.0.0', artifacts: { Hand: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Hand.template.json' } } } }),
  );
  writeFileSync(join(dir, 'Hand.template.json'), JSON.stringify({ Resources: resources }));
  return readCloudAssembly({ assemblyDir: dir, stackNames: ['Hand'], endpoint: 'http://127.0.0.1:4566', apiUrl: 'http://127.0.0.1:3000/', apiKeyValue: () => 'k'.repeat(40) });
};

describe('readCloudAssembly with FIFO queues and topics', () => {
  it('reads a FIFO queue, its DLQ and a FIFO topic with names ending in .fifo and their FIFO attributes', () => {
    // Act
    const model = read({
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          FifoQueue: true,
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          VisibilityTimeout: 60,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
        },
      },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { FifoTopic: true, TopicName: 'events.fifo', FifoThroughputScope: 'MessageGroup' } },
      Generated: { Type: 'AWS::SNS::Topic', Properties: { FifoTopic: true } },
    });

    // Assess
    const queue = model.queues.find((candidate) => candidate.logicalId === 'Queue')!;
    expect(queue.name).toBe('Hand-Queue.fifo');
    expect(queue.attributes).toEqual({
      FifoQueue: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: '60',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:Hand-Dlq.fifo', maxReceiveCount: 5 }),
    });
    expect(model.topics).toEqual([
      { logicalId: 'Topic', name: 'events.fifo', arn: 'arn:aws:sns:us-east-1:000000000000:events.fifo', attributes: { FifoTopic: 'true' } },
      { logicalId: 'Generated', name: 'Hand-Generated.fifo', arn: 'arn:aws:sns:us-east-1:000000000000:Hand-Generated.fifo', attributes: { FifoTopic: 'true' } },
    ]);
  });
});
