/**
 * The credential sources of the functions the workflow bundles (docs/performance.md, "Lean
 * bundles"): environment-only by default, for queueflow's functions and the user's consumers
 * alike; the SDK's whole default chain for a consumer that asks for it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SdkCredentials } from '../../lib/constructs/queueflow-function.ts';
import { BUNDLING_METADATA_KEY, type RecordedBundling } from '../../lib/shared/bundling-metadata.ts';
import { ERASURE_REQUESTED, FIXTURE_ENTRY, ORDER_PLACED, workflowFixture } from './workflow-fixture.ts';

const aliasOf = (template: Template, consumerOrProducer: RegExp): Readonly<Record<string, string>> | undefined => {
  const [resource] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([logicalId]) => consumerOrProducer.test(logicalId));
  return (resource![1] as { Metadata: Record<string, RecordedBundling> }).Metadata[BUNDLING_METADATA_KEY]!.alias;
};

describe('SDK credentials of bundled functions', () => {
  it('bundles the producer and a consumer with environment-only credentials unless the consumer opts out', () => {
    // Prepare
    const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED, ERASURE_REQUESTED] });

    // Act
    workflow.addConsumer({ name: 'lean', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
    workflow.addConsumer({ name: 'chain', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY, sdkCredentials: SdkCredentials.DEFAULT_CHAIN });
    void workflow.producer;
    const template = Template.fromStack(stack);

    // Assess
    const environmentOnly = { '@aws-sdk/credential-provider-node': expect.stringMatching(/lambdas\/shared\/environment-credentials\.ts$/) };
    expect(aliasOf(template, /Producer/)).toEqual(environmentOnly);
    expect(aliasOf(template, /ConsumerLean/)).toEqual(environmentOnly);
    expect(aliasOf(template, /ConsumerChain/)).toBeUndefined();
  });

  it('takes the choice from consumerDefaults, a consumer\'s own setting winning', () => {
    // Prepare
    const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED], consumerDefaults: { sdkCredentials: SdkCredentials.DEFAULT_CHAIN } });

    // Act
    workflow.addConsumer({ name: 'inherits', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
    workflow.addConsumer({ name: 'overrides', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY, sdkCredentials: SdkCredentials.ENVIRONMENT });
    const template = Template.fromStack(stack);

    // Assess
    expect(aliasOf(template, /ConsumerInherits/)).toBeUndefined();
    expect(aliasOf(template, /ConsumerOverrides/)).toHaveProperty(['@aws-sdk/credential-provider-node']);
  });
});
