/** Reading AWS::SecretsManager::Secret and a RestApi's BinaryMediaTypes from a template into the local model. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCloudAssembly } from '../../../lib/local/template-reader.ts';
import { WEBHOOK_SOURCE_METADATA_KEY } from '../../../lib/shared/webhook-metadata.ts';

function assemblyOf(template: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'queueflow-assembly-'));
  const artifacts = { Test: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Test.template.json' } } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
  writeFileSync(join(dir, 'Test.template.json'), JSON.stringify(template));
  return dir;
}

describe('AWS::SecretsManager::Secret', () => {
  it('becomes a local secret named <stack>-<logicalId>, its Ref an ARN, with its webhook metadata', () => {
    // Prepare
    const assemblyDir = assemblyOf({
      Resources: {
        StripeSecret: {
          Type: 'AWS::SecretsManager::Secret',
          Properties: { Description: 'x', GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'current', PasswordLength: 48 } },
          Metadata: { [WEBHOOK_SOURCE_METADATA_KEY]: { name: 'stripe', path: '/webhooks/stripe', scheme: 'stripe' } },
        },
        Named: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'my/secret', SecretString: 'v' } },
      },
      Outputs: { Arn: { Value: { Ref: 'StripeSecret' } } },
    });

    // Act
    const model = readCloudAssembly({ assemblyDir, endpoint: 'http://127.0.0.1:4566', apiUrl: 'http://127.0.0.1:3000/' });

    // Assess
    expect(model.secrets).toEqual([
      {
        logicalId: 'StripeSecret',
        name: 'Test-StripeSecret',
        arn: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:Test-StripeSecret-[A-Za-z0-9]{6}$/),
        generate: { SecretStringTemplate: '{}', GenerateStringKey: 'current', PasswordLength: 48 },
        webhookSource: { name: 'stripe', path: '/webhooks/stripe', scheme: 'stripe' },
      },
      { logicalId: 'Named', name: 'my/secret', arn: expect.stringContaining(':secret:my/secret-'), secretString: 'v' },
    ]);
    expect(model.outputs.Arn).toBe(model.secrets![0]!.arn);
  });

  it('reads a RestApi BinaryMediaTypes list', () => {
    // Prepare
    const assemblyDir = assemblyOf({ Resources: { Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'a', BinaryMediaTypes: ['image/png', 'application~1octet-stream'] } } } });

    // Act
    const model = readCloudAssembly({ assemblyDir, endpoint: 'http://127.0.0.1:4566', apiUrl: 'http://127.0.0.1:3000/' });

    // Assess
    expect(model.api?.binaryMediaTypes).toEqual(['image/png', 'application~1octet-stream']);
  });
});
