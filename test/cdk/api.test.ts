import type { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { pascalCase } from '../../lib/constructs/naming.ts';
import { sampleStack } from './workflow-fixture.ts';

const { stack, template } = sampleStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
/** The event types' methods; the webhook sources' routes take no key or model by design (test/cdk/webhooks.test.ts). */
const webhookOperations = new Set([...(stack.workflow.webhooks?.sources.keys() ?? [])].map((name) => `${pascalCase(name)}Webhook`));
const eventTypeMethods = () => ofType('AWS::ApiGateway::Method').filter(([, method]) => !webhookOperations.has(method.Properties.OperationName));

const modelFor = (eventType: string): object => {
  const found = ofType('AWS::ApiGateway::Model').find(([, model]) => model.Properties.Description === `Body of ${eventType}`);
  if (!found) throw new Error(`no model for ${eventType}`);
  return found[1].Properties.Schema;
};
// Both packages are CommonJS; under NodeNext typing their class and function sit on `.default`.
const Ajv = AjvDraft04.default ?? (AjvDraft04 as unknown as typeof AjvDraft04.default);
const addFormats = addFormatsPlugin.default ?? (addFormatsPlugin as unknown as typeof addFormatsPlugin.default);
/** Compiled as API Gateway would: JSON Schema draft 4. */
const compile = (schema: object) => addFormats(new Ajv({ allErrors: true })).compile(schema);

const GOOD_ORDER = {
  orderId: 'ord-1001',
  customer: { id: 'cus-42', email: 'ada@example.com', phone: '+15555550100' },
  items: [{ sku: 'BOOK-1', quantity: 1 }],
};

describe('the event API', () => {
  it('requires an API key on every method and validates bodies against a model', () => {
    // Arrange
    const [validatorId] = ofType('AWS::ApiGateway::RequestValidator').map(([id]) => id);
    const methods = eventTypeMethods();

    // Assess
    expect(resources[validatorId].Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    expect(methods).toHaveLength(stack.workflow.eventCatalog.length);
    for (const [, method] of methods) {
      expect(method.Properties).toMatchObject({
        HttpMethod: 'POST',
        ApiKeyRequired: true,
        RequestValidatorId: { Ref: validatorId },
        RequestModels: { 'application/json': { Ref: expect.stringContaining('Model') } },
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.path.userId': true },
    });
  });

  it('throttles each API key through a usage plan and the stage as a whole, with access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  describe('request models', () => {
    it('cover every content type, so no body reaches the producer unvalidated', () => {
      // API Gateway skips validation for a content type without a model; `$default` is the model
      // for all the others (docs/aws-behaviour.md, "Request model selection").
      for (const [, method] of eventTypeMethods()) {
        const models = method.Properties.RequestModels as Record<string, unknown>;
        expect(Object.keys(models).sort()).toEqual(['$default', 'application/json']);
        expect(models.$default).toEqual(models['application/json']);
      }
    });

    it('are JSON Schema draft 4', () => {
      for (const eventType of ['order.placed', 'user.erasure_requested']) {
        expect(modelFor(eventType)).toMatchObject({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
      }
    });

    it('accept the sample order', () => {
      const validate = compile(modelFor('order.placed'));
      expect(validate(GOOD_ORDER), JSON.stringify(validate.errors)).toBe(true);
    });

    it.each([
      ['a missing orderId', { ...GOOD_ORDER, orderId: undefined }],
      ['an unknown property', { ...GOOD_ORDER, coupon: 'FREE' }],
      ['a malformed phone number', { ...GOOD_ORDER, customer: { ...GOOD_ORDER.customer, phone: '555' } }],
      ['a zero quantity', { ...GOOD_ORDER, items: [{ sku: 'BOOK-1', quantity: 0 }] }],
      ['no items', { ...GOOD_ORDER, items: [] }],
      ['a fractional quantity', { ...GOOD_ORDER, items: [{ sku: 'BOOK-1', quantity: 1.5 }] }],
    ])('reject an order with %s', (_, body) => {
      // Arrange
      const validate = compile(modelFor('order.placed'));

      // Act
      const valid = validate(JSON.parse(JSON.stringify(body)));

      // Assess
      expect(valid).toBe(false);
    });

    it('accept an erasure request with or without a reason, and reject unknown fields', () => {
      const validate = compile(modelFor('user.erasure_requested'));
      expect(validate({})).toBe(true);
      expect(validate({ reason: 'gdpr' })).toBe(true);
      expect(validate({ reason: '' })).toBe(false);
      expect(validate({ userId: 'u-1' })).toBe(false);
    });
  });

  describe('gateway responses', () => {
    // What API Gateway substitutes: messageString comes quoted, validationErrorString with its quotes escaped.
    const render = (template: string): unknown =>
      JSON.parse(
        template
          .replaceAll('$context.error.validationErrorString', '[object has missing required properties ([\\"orderId\\"])]')
          .replaceAll('$context.error.messageString', '"Forbidden"')
          .replaceAll('$context.requestId', 'c0ffee-1'),
      );
    const responses = Object.fromEntries(
      ofType('AWS::ApiGateway::GatewayResponse').map(([, response]) => [response.Properties.ResponseType, response.Properties]),
    );

    it.each([
      ['BAD_REQUEST_BODY', '400', 'validation-failed'],
      ['MISSING_AUTHENTICATION_TOKEN', '404', 'not-found'],
      ['INVALID_API_KEY', '403', 'forbidden'],
      ['ACCESS_DENIED', '403', 'forbidden'],
      ['THROTTLED', '429', 'too-many-requests'],
      ['QUOTA_EXCEEDED', '429', 'quota-exceeded'],
      ['REQUEST_TOO_LARGE', '413', 'payload-too-large'],
      ['DEFAULT_4XX', undefined, 'client-error'],
      ['DEFAULT_5XX', undefined, 'server-error'],
    ])('render %s as %s application/problem+json (%s)', (type, status, slug) => {
      // Arrange
      const response = responses[type];

      // Act
      const body = render(response.ResponseTemplates['application/json']) as Record<string, unknown>;

      // Assess
      expect(response.StatusCode).toBe(status);
      expect(response.ResponseParameters).toEqual({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" });
      expect(body).toMatchObject({ type: `urn:queueflow:problem:${slug}`, title: expect.any(String), detail: expect.any(String), requestId: 'c0ffee-1' });
      expect(body.status).toBe(status === undefined ? undefined : Number(status));
    });

    it('name the failing fields of a rejected body and never echo a server error', () => {
      expect(render(responses.BAD_REQUEST_BODY.ResponseTemplates['application/json'])).toMatchObject({
        detail: '[object has missing required properties (["orderId"])]',
      });
      expect(responses.DEFAULT_5XX.ResponseTemplates['application/json']).not.toContain('$context.error');
    });
  });

  it('outputs the stage URL as ApiUrl', () => {
    const stage = stack.workflow.api.deploymentStage.node.defaultChild as CfnResource;
    expect(JSON.stringify(template.toJSON().Outputs.ApiUrl.Value)).toContain(stack.getLogicalId(stage));
  });
});
