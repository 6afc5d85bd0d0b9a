import { createHash } from 'node:crypto';
import { isWebhookSourceMetadata, WEBHOOK_SOURCE_METADATA_KEY } from '../../shared/webhook-metadata.ts';
import type { ResourceType, TemplateResource } from './resource-type.ts';

const secretName = (resource: TemplateResource) => resource.physicalName('Name');
/** Secrets Manager appends six random characters to a secret's ARN; locally they derive from the name. */
const secretArn = (resource: TemplateResource) => {
  const name = secretName(resource);
  return resource.stack.arn('secretsmanager', `secret:${name}-${createHash('sha256').update(name).digest('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 6)}`);
};

/** A secret served by the AWS endpoint's `GetSecretValue`, its value kept in `<data-dir>/secrets.json`. */
export const secretsManagerSecret: ResourceType = {
  type: 'AWS::SecretsManager::Secret',
  summary:
    'A secret served by `GetSecretValue` on the AWS endpoint. Its value lives in `<data-dir>/secrets.json` (by secret name; edit it to rotate): seeded on first start from `SecretString`, or generated as `GenerateSecretString` says.',
  properties: {
    used: ['Name', 'SecretString', 'GenerateSecretString'],
    ignored: ['Description', 'KmsKeyId', 'Tags', 'ReplicaRegions'],
  },
  refDescription: 'the secret ARN (`arn:aws:secretsmanager:us-east-1:000000000000:secret:<name>-<6 characters>`)',
  ref: secretArn,
  attributes: { Id: secretArn },
  read(resource, model) {
    const secretString = resource.string('SecretString');
    const generate = resource.resolved('GenerateSecretString') as Record<string, unknown> | undefined;
    const webhook = resource.metadata[WEBHOOK_SOURCE_METADATA_KEY];
    model.secrets.push({
      logicalId: resource.id,
      name: secretName(resource),
      arn: secretArn(resource),
      ...(secretString === undefined ? {} : { secretString }),
      ...(generate === undefined ? {} : { generate }),
      ...(isWebhookSourceMetadata(webhook) ? { webhookSource: webhook } : {}),
    });
  },
};
