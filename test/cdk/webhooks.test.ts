/**
 * Webhook sources on the synthesized template: a keyless POST route without model or validator,
 * one receiver function reading each source's secret, least-privilege grants, outputs, and
 * declarations refused at synth with one clear error.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_SOURCE_METADATA_KEY } from '../../lib/shared/webhook-metadata.ts';
import { FIXTURE_ENTRY, ORDER_PLACED, sampleStack, workflowFixture } from './workflow-fixture.ts';

const withSources = () => {
  const fixture = workflowFixture({ eventTypes: [ORDER_PLACED] });
  fixture.workflow.addWebhookSource({ name: 'stripe', path: '/webhooks/stripe', verify: 'stripe' });
  fixture.workflow.addWebhookSource({
    name: 'acme',
    path: '/hooks/acme',
    verify: { scheme: 'hmac', header: 'X-Acme-Signature', encoding: 'hex', signedContent: '{timestamp}.{body}', timestampHeader: 'X-Acme-Timestamp' },
    deliveryId: { header: 'X-Acme-Delivery' },
    eventType: { fixed: 'notification' },
  });
  return fixture;
};

describe('QueueWorkflow.addWebhookSource', () => {
  it('adds a POST route per source with no API key, authorizer, request model or validator', () => {
    // Act
    const template = Template.fromStack(withSources().stack);

    // Assess
    const methods = template.findResources('AWS::ApiGateway::Method', { Properties: { OperationName: 'StripeWebhook' } });
    expect(Object.values(methods)).toHaveLength(1);
    const [method] = Object.values(methods) as { Properties: Record<string, unknown> }[];
    expect(method!.Properties).toMatchObject({ HttpMethod: 'POST', ApiKeyRequired: false, AuthorizationType: 'NONE' });
    expect(method!.Properties.RequestValidatorId).toBeUndefined();
    expect(method!.Properties.RequestModels).toBeUndefined();
    // The event type's route keeps its key and validator.
    template.hasResourceProperties('AWS::ApiGateway::Method', { OperationName: 'OrderPlaced', ApiKeyRequired: true, RequestValidatorId: Match.anyValue() });
  });

  it('runs one receiver function with every source, its secret ARN, and the 5-day dedupe window', () => {
    // Act
    const template = Template.fromStack(withSources().stack);

    // Assess
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { WEBHOOK_SOURCES: Match.anyValue() } } } });
    expect(Object.keys(functions)).toHaveLength(1);
    const variables = (Object.values(functions)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(variables.WEBHOOK_DEDUPE_SECONDS).toBe(String(5 * 86_400));
    const sources = JSON.stringify(variables.WEBHOOK_SOURCES);
    expect(sources).toContain('\\"name\\":\\"stripe\\"');
    expect(sources).toContain('\\"deliveryId\\":{\\"bodyField\\":\\"/id\\"}');
    expect(sources).toContain('\\"eventType\\":{\\"fixed\\":\\"notification\\"}');
  });

  it('creates a secret per source with a generated current value and the metadata the local runtime reads', () => {
    // Act
    const template = Template.fromStack(withSources().stack);

    // Assess
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(2);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'current', ExcludePunctuation: true, PasswordLength: 48 } },
      Metadata: { [WEBHOOK_SOURCE_METADATA_KEY]: { name: 'stripe', path: '/webhooks/stripe', scheme: 'stripe' } },
    });
    template.hasOutput('StripeWebhookUrl', Match.anyValue());
    template.hasOutput('StripeWebhookSecretArn', Match.anyValue());
  });

  it('grants the receiver its own idempotency records only, and read on each secret', () => {
    // Act
    const template = Template.fromStack(withSources().stack);

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['webhook#*'] } },
          }),
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
    });
  });

  it('uses a secret passed in as it is', () => {
    // Prepare
    const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });
    const secret = new Secret(stack, 'Mine');

    // Act
    const source = workflow.addWebhookSource({ name: 'github', path: '/webhooks/github', verify: 'github', secret });

    // Assess
    expect(source.secret).toBe(secret);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'))).toHaveLength(1);
  });

  it('lets consumers take <source>.<type> event types, and only of declared sources', () => {
    // Prepare
    const { workflow } = withSources();

    // Act
    workflow.addConsumer({ name: 'payments', eventTypes: ['stripe.payment_intent.succeeded'], entry: FIXTURE_ENTRY });

    // Assess
    expect(() => workflow.addConsumer({ name: 'other', eventTypes: ['paypal.sale.completed'], entry: FIXTURE_ENTRY })).toThrow(/unknown event type/);
    expect(() => workflow.addConsumer({ name: 'webhook', eventTypes: ['stripe.charge.refunded'], entry: FIXTURE_ENTRY })).toThrow(/reserved/);
  });

  it('refuses every problem of a declaration in one error', () => {
    // Prepare
    const { workflow } = withSources();

    // Act
    const act = () =>
      workflow.addWebhookSource({
        name: 'Stripe!',
        path: '/webhooks/{id}',
        verify: { scheme: 'hmac', header: 'X-Sig', encoding: 'hex', signedContent: '{timestamp}' } as never,
      });

    // Assess
    expect(act).toThrow(/name must be.*path '\/webhooks\/\{id\}' must be literal.*HMAC configuration is invalid.*deliveryId.*eventType/);
    expect(() => workflow.addWebhookSource({ name: 'again', path: '/webhooks/stripe', verify: 'github' })).toThrow(/shares the path/);
    expect(() => workflow.addWebhookSource({ name: 'orders', path: '/orders', verify: 'github' })).toThrow(/share the route POST \/orders/);
  });
});

describe('the sample stack', () => {
  it('declares the Stripe and GitHub sources and their consumers', () => {
    // Act
    const { template, stack } = sampleStack();

    // Assess
    expect([...stack.workflow.webhooks!.sources.keys()]).toEqual(['stripe', 'github']);
    template.hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { eventType: ['stripe.payment_intent.succeeded', 'stripe.charge.refunded'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { eventType: ['github.push', 'github.ping'] } });
  });
});
