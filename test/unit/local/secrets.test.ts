/**
 * The local Secrets Manager: values seeded into the data folder from the template, served by the
 * AWS endpoint's GetSecretValue to the real SDK client (by name and by ARN), an edit of the file
 * taking effect at once; and each webhook source listed with its URL and signing secret.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { startServices, type LocalServices } from '../../../lib/local/services.ts';
import { generateSecretString, localWebhookSources, secretNameOf, seedSecrets, SECRETS_FILE } from '../../../lib/local/secrets.ts';
import type { LocalSecret } from '../../../lib/local/model.ts';

const ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:';
const webhookSecret: LocalSecret = {
  logicalId: 'StripeSecret',
  name: 'Sample-StripeSecret',
  arn: `${ARN_PREFIX}Sample-StripeSecret-AbC123`,
  generate: { SecretStringTemplate: '{}', GenerateStringKey: 'current', ExcludePunctuation: true, PasswordLength: 48 },
  webhookSource: { name: 'stripe', path: '/webhooks/stripe', scheme: 'stripe' },
};
const plainSecret: LocalSecret = { logicalId: 'Plain', name: 'plain', arn: `${ARN_PREFIX}plain-XyZ789`, secretString: 's3cr3t' };

const folders: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'queueflow-secrets-'));
  folders.push(dir);
  return dir;
};
let services: LocalServices | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('seedSecrets', () => {
  it('gives each secret a value once (SecretString, else generated) and keeps it across restarts', () => {
    // Prepare
    const dir = dataDir();

    // Act
    const first = seedSecrets(dir, [webhookSecret, plainSecret]);
    const again = seedSecrets(dir, [webhookSecret, plainSecret]);

    // Assess
    expect(first.plain).toBe('s3cr3t');
    expect(JSON.parse(first['Sample-StripeSecret']!)).toEqual({ current: expect.stringMatching(/^[A-Za-z0-9]{48}$/) });
    expect(again).toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8'))).toEqual(first);
  });

  it('generates as GenerateSecretString says', () => {
    // Act
    const value = generateSecretString({ PasswordLength: 200, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true, ExcludeCharacters: 'abc' });

    // Assess
    expect(value).toMatch(/^[d-z]{200}$/);
  });
});

describe('secretNameOf', () => {
  it('finds a secret by name, complete ARN and partial ARN, and nothing else', () => {
    const names = ['plain'];
    expect(secretNameOf('plain', names)).toBe('plain');
    expect(secretNameOf(`${ARN_PREFIX}plain-XyZ789`, names)).toBe('plain');
    expect(secretNameOf(`${ARN_PREFIX}plain`, names)).toBe('plain');
    expect(secretNameOf('other', names)).toBeUndefined();
    expect(secretNameOf('arn:aws:secretsmanager:eu-west-1:000000000000:secret:plain', names)).toBeUndefined();
  });
});

describe('GetSecretValue on the AWS endpoint', () => {
  const client = (endpoint: string) =>
    new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

  it('answers the seeded value by ARN and by name, reads edits of the file at once, and refuses unknown secrets and other actions', async () => {
    // Prepare
    const dir = dataDir();
    seedSecrets(dir, [webhookSecret, plainSecret]);
    services = await startServices({ port: 0, dataDir: dir });
    const secrets = client(services.endpoint);

    // Act
    const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: plainSecret.arn }));
    const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'plain' }));
    writeFileSync(join(dir, SECRETS_FILE), JSON.stringify({ plain: 'rotated' }));
    const afterEdit = await secrets.send(new GetSecretValueCommand({ SecretId: 'plain' }));
    const unknown = secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }));
    const other = secrets.send(new DescribeSecretCommand({ SecretId: 'plain' }));

    // Assess
    expect(byArn).toMatchObject({ Name: 'plain', ARN: plainSecret.arn, SecretString: 's3cr3t', VersionStages: ['AWSCURRENT'] });
    expect(byName.SecretString).toBe('s3cr3t');
    expect(afterEdit.SecretString).toBe('rotated');
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(other).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect((await services.stats()).requests.secretsmanager).toEqual({ GetSecretValue: 4, DescribeSecret: 1 });
  });
});

describe('localWebhookSources', () => {
  it('lists each webhook source with its local URL and the current signing secret', () => {
    // Act
    const sources = localWebhookSources([webhookSecret, plainSecret], { 'Sample-StripeSecret': '{"current":"whsec_1","previous":"whsec_0"}' }, 'http://127.0.0.1:3000/');

    // Assess
    expect(sources).toEqual([{ name: 'stripe', scheme: 'stripe', url: 'http://127.0.0.1:3000/webhooks/stripe', signingSecret: 'whsec_1', secretName: 'Sample-StripeSecret' }]);
  });
});
