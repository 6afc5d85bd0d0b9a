import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnResource, Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AuthorizationType, LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EventTypeLocationSchema, FieldLocationSchema, HmacVerificationSchema } from '../../lambdas/shared/webhooks/source-schema.ts';
import {
  DEFAULT_WEBHOOK_DEDUPE_SECONDS,
  NamedSchemes,
  SCHEME_DEFAULTS,
  WEBHOOK_IDEMPOTENCY_KEY_PREFIX,
  type EventTypeLocation,
  type FieldLocation,
  type NamedScheme,
  type ResolvedHmacVerification,
  type Verification,
  type WebhookSourceConfig,
} from '../../lambdas/shared/webhooks/sources.ts';
import { WEBHOOK_SOURCE_METADATA_KEY, type WebhookSourceMetadata } from '../shared/webhook-metadata.ts';
import { QueueflowConfigError } from './errors.ts';
import { grantOwnItems } from './grants.ts';
import { pascalCase } from './naming.ts';
import { createQueueflowFunction } from './queueflow-function.ts';
import { addReadableOutput } from './readable-output.ts';

/** A provider that pushes signed webhooks, declared once (`QueueWorkflow.addWebhookSource`). */
export interface WebhookSourceDefinition {
  /**
   * Lower-case letters, digits and underscores, starting with a letter (`stripe`). Its events are
   * published as `<name>.<provider event type>`, e.g. `stripe.payment_intent.succeeded`.
   */
  readonly name: string;
  /** The route providers post to, literal segments only, e.g. `/webhooks/stripe`. */
  readonly path: string;
  /**
   * How deliveries are signed: `stripe`, `github`, `shopify`, `standardWebhooks` (Svix too), or a
   * generic HMAC configuration (header, prefix, hex or base64, signed template, timestamp header
   * and tolerance).
   */
  readonly verify: Verification;
  /**
   * The secret holding the signing secret(s) as JSON `{"current": "…", "previous": "…"}`
   * (`previous` only during a rotation).
   * @default - a new secret with a generated `current`; replace it with the provider's secret
   */
  readonly secret?: ISecret;
  /**
   * Where the event type is: a header, a body field (JSON pointer), or fixed.
   * @default - the scheme's: Stripe's `/type`, `X-GitHub-Event`, `X-Shopify-Topic`, the Standard Webhooks body's `/type`; required for `hmac`
   */
  readonly eventType?: EventTypeLocation;
  /**
   * Where the delivery id is, by which a provider's retries are recognised.
   * @default - the scheme's: Stripe's event `/id`, `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`, `webhook-id`; required for `hmac`
   */
  readonly deliveryId?: FieldLocation;
}

export interface WebhookReceiverProps {
  readonly api: RestApi;
  readonly topic: ITopic;
  readonly idempotencyTable: Table;
  readonly eventSource: string;
  readonly serviceName: string;
  readonly timeout: Duration;
  readonly logRetention?: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** A declared source, with what the receiver and the template were given for it. */
export interface WebhookSource {
  readonly name: string;
  readonly path: string;
  readonly secret: ISecret;
}

const SOURCE_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const LITERAL_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const DEFAULT_RECEIVER_ENTRY = fileURLToPath(new URL(`../../lambdas/handlers/webhook-receiver${extname(import.meta.url)}`, import.meta.url));

/** `webhookOutputKeys('stripe')` → `StripeWebhookUrl`, `StripeWebhookSecretArn`. */
export function webhookOutputKeys(sourceName: string): { readonly url: string; readonly secretArn: string } {
  const pascal = pascalCase(sourceName);
  return { url: `${pascal}WebhookUrl`, secretArn: `${pascal}WebhookSecretArn` };
}

/**
 * The routes, the one receiver function and the secrets of a workflow's webhook sources. Created
 * by the workflow with its first source. The routes take no API key, request model or validator
 * (a provider cannot send `x-api-key`, and a gateway 400 reads to it as a failed delivery): the
 * signature, checked by the receiver on the raw body, is the authentication, and the stage
 * throttle applies.
 */
export class WebhookReceiver extends Construct {
  public readonly function: NodejsFunction;
  private readonly props: WebhookReceiverProps;
  private readonly configs: WebhookSourceConfig[] = [];
  private readonly sourcesByName = new Map<string, WebhookSource>();
  private readonly integration: LambdaIntegration;

  public constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    this.props = props;
    this.function = createQueueflowFunction(this, 'Function', {
      entry: DEFAULT_RECEIVER_ENTRY,
      description: 'queueflow webhook receiver: verifies, deduplicates and publishes provider webhooks',
      timeout: props.timeout,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        TOPIC_ARN: props.topic.topicArn,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        EVENT_SOURCE: props.eventSource,
        WEBHOOK_SOURCES: Lazy.string({ produce: () => JSON.stringify(this.configs) }),
        WEBHOOK_DEDUPE_SECONDS: String(DEFAULT_WEBHOOK_DEDUPE_SECONDS),
        POWERTOOLS_SERVICE_NAME: `${props.serviceName}-webhooks`,
      },
    });
    props.topic.grantPublish(this.function);
    Validations.of(this.function.role ?? this.function).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Granted by Topic.grantPublish on the topic key only: SNS needs a data key to encrypt each published message.',
    });
    // Its own records only (`webhook#…`), as the producer has `producer#…`.
    grantOwnItems(props.idempotencyTable, this.function, WEBHOOK_IDEMPOTENCY_KEY_PREFIX, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
    this.integration = new LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });
    const keyless =
      'The webhook routes take no API key, authorizer or Cognito user pool: a provider (Stripe, GitHub, Shopify, Svix) cannot send one. Each delivery is authenticated by its HMAC signature, verified by the webhook receiver on the raw body before anything is published (docs/webhooks.md).';
    Validations.of(props.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: keyless }, { id: 'AwsSolutions-COG4', reason: keyless });
  }

  /** The declared sources by name. */
  public get sources(): ReadonlyMap<string, WebhookSource> {
    return this.sourcesByName;
  }

  /** Adds a source: its secret (unless given), its route and its outputs. */
  public addSource(definition: WebhookSourceDefinition): WebhookSource {
    const config = this.validate(definition);
    const pascal = pascalCase(definition.name);
    const secret = definition.secret ?? this.createSecret(definition, pascal);
    secret.grantRead(this.function);
    this.configs.push({ ...config, secretId: secret.secretArn });

    this.props.api.root.resourceForPath(definition.path).addMethod('POST', this.integration, {
      apiKeyRequired: false,
      authorizationType: AuthorizationType.NONE,
      operationName: `${pascal}Webhook`,
    });
    const keys = webhookOutputKeys(definition.name);
    addReadableOutput(this, keys.url, this.props.api.urlForPath(definition.path), `Paste into ${definition.name}'s webhook settings as the endpoint URL`);
    addReadableOutput(this, keys.secretArn, secret.secretArn, `Signing secret(s) of webhook source '${definition.name}': {"current": …, "previous"?: …}`);
    const source = { name: definition.name, path: definition.path, secret };
    this.sourcesByName.set(definition.name, source);
    return source;
  }

  private createSecret(definition: WebhookSourceDefinition, pascal: string): Secret {
    const secret = new Secret(this, `${pascal}Secret`, {
      description: `queueflow webhook source '${definition.name}': {"current": "<signing secret>", "previous"?: "<the one before, during a rotation>"}`,
      // Alphanumeric: a valid HMAC key for every scheme, and valid base64 for Standard Webhooks.
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'current', excludePunctuation: true, passwordLength: 48 },
      removalPolicy: this.props.removalPolicy,
    });
    const metadata: WebhookSourceMetadata = {
      name: definition.name,
      path: definition.path,
      scheme: typeof definition.verify === 'string' ? definition.verify : 'hmac',
    };
    (secret.node.defaultChild as CfnResource).addMetadata(WEBHOOK_SOURCE_METADATA_KEY, metadata);
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A webhook signing secret is issued or set at the provider (Stripe, GitHub, Shopify, Svix): a Lambda rotation here could not change it there. It is rotated by hand, both secrets active meanwhile (docs/webhooks.md, "Rotating a secret").',
    });
    return secret;
  }

  /** Every problem of a declaration in one error. */
  private validate(definition: WebhookSourceDefinition): Omit<WebhookSourceConfig, 'secretId'> {
    const where = `Webhook source '${definition.name}'`;
    const problems: string[] = [];
    if (!SOURCE_NAME.test(definition.name)) problems.push('its name must be 1-32 lower-case letters, digits and underscores, starting with a letter (e.g. "stripe")');
    if (this.sourcesByName.has(definition.name)) problems.push('it is declared twice');
    if (!LITERAL_PATH.test(definition.path)) problems.push(`path '${definition.path}' must be literal segments such as '/webhooks/stripe'`);
    for (const other of this.sourcesByName.values()) if (other.path === definition.path) problems.push(`it shares the path ${definition.path} with source '${other.name}'`);
    const named = typeof definition.verify === 'string';
    if (named && !(NamedSchemes as readonly string[]).includes(definition.verify as string)) {
      problems.push(`verify must be one of ${NamedSchemes.join(', ')} or an HMAC configuration`);
    }
    if (!named) {
      const parsed = HmacVerificationSchema.safeParse(definition.verify);
      if (!parsed.success) problems.push(`its HMAC configuration is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'verify'}: ${issue.message}`).join('; ')}`);
      if (definition.deliveryId === undefined) problems.push('an HMAC source needs deliveryId (a header or a body field)');
      if (definition.eventType === undefined) problems.push('an HMAC source needs eventType (a header, a body field, or fixed)');
    }
    if (definition.deliveryId !== undefined && !FieldLocationSchema.safeParse(definition.deliveryId).success) problems.push('deliveryId must be { header } or { bodyField: "/json/pointer" }');
    if (definition.eventType !== undefined && !EventTypeLocationSchema.safeParse(definition.eventType).success) {
      problems.push('eventType must be { header }, { bodyField: "/json/pointer" } or { fixed: "dot.separated_words" }');
    }
    if (problems.length > 0) throw new QueueflowConfigError(`${where}: ${problems.join('; ')}.`);
    const defaults = named ? SCHEME_DEFAULTS[definition.verify as NamedScheme] : undefined;
    return {
      name: definition.name,
      path: definition.path,
      verify: named ? (definition.verify as NamedScheme) : (HmacVerificationSchema.parse(definition.verify) as ResolvedHmacVerification),
      deliveryId: (definition.deliveryId ?? defaults?.deliveryId)!,
      eventType: (definition.eventType ?? defaults?.eventType)!,
    };
  }
}

/** The default receiver function timeout: Shopify gives up after 5 s, the receiver needs far less. */
export const DEFAULT_WEBHOOK_TIMEOUT = Duration.seconds(10);
