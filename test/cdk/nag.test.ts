import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { sampleStack } from './workflow-fixture.ts';

const acknowledgements = (root: IConstruct): Array<{ path: string; id: string; reason: string }> =>
  root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
        ),
    );

describe('cdk-nag AwsSolutions checks', () => {
  it('find no unacknowledged error or warning in the sample app', () => {
    // Arrange
    const { app } = sampleStack();

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledge each finding with its reason', () => {
    const acknowledged = acknowledgements(sampleStack().app);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledged) expect(reason.length, `${id} at ${path}`).toBeGreaterThan(40);
  });

  it('report a finding the constructs do not acknowledge', () => {
    // Arrange: a queue without a DLQ or TLS, removed again after the check
    const { stack } = sampleStack();
    const stray = new Queue(stack, 'StrayQueueForNagTest');

    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    stack.node.tryRemoveChild(stray.node.id);

    // Assess
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
