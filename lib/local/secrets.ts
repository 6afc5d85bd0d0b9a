/**
 * The local runtime's Secrets Manager values: one file, `<data-dir>/secrets.json`, mapping each
 * secret's name to its secret string. The runtime seeds it at start for every secret of the
 * template that has no value yet (`SecretString`, else generated as `GenerateSecretString` says);
 * the AWS endpoint's `GetSecretValue` reads it on every call, so editing the file (a rotation)
 * takes effect at once, as an `UpdateSecret` would, and handler code does not change.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './intrinsics.ts';
import type { LocalSecret } from './model.ts';
import { writeJsonAtomically } from './state-file.ts';

export const SECRETS_FILE = 'secrets.json';

/** The secrets file of a data folder: name → secret string. */
export function readSecretsFile(dataDir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, SECRETS_FILE), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

/**
 * Gives every secret of the model a value in the data folder (kept across restarts) and returns
 * the values by name.
 */
export function seedSecrets(dataDir: string, secrets: readonly LocalSecret[]): Record<string, string> {
  const values = readSecretsFile(dataDir);
  let changed = false;
  for (const secret of secrets) {
    if (values[secret.name] !== undefined) continue;
    values[secret.name] = secret.secretString ?? generateSecretString(secret.generate ?? {});
    changed = true;
  }
  if (changed) writeJsonAtomically(join(dataDir, SECRETS_FILE), values);
  return values;
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** A value as Secrets Manager's GenerateSecretString describes it (length, excluded character classes, a JSON template). */
export function generateSecretString(options: Readonly<Record<string, unknown>>): string {
  const excluded = String(options.ExcludeCharacters ?? '');
  let alphabet = '';
  if (options.ExcludeLowercase !== true) alphabet += 'abcdefghijklmnopqrstuvwxyz';
  if (options.ExcludeUppercase !== true) alphabet += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (options.ExcludeNumbers !== true) alphabet += '0123456789';
  if (options.ExcludePunctuation !== true) alphabet += PUNCTUATION;
  if (options.IncludeSpace === true) alphabet += ' ';
  const characters = [...alphabet].filter((character) => !excluded.includes(character));
  const length = Number(options.PasswordLength ?? 32);
  const password = Array.from({ length }, () => characters[randomInt(characters.length)]).join('');
  if (typeof options.SecretStringTemplate === 'string' && typeof options.GenerateStringKey === 'string') {
    const template = JSON.parse(options.SecretStringTemplate) as Record<string, unknown>;
    return JSON.stringify({ ...template, [options.GenerateStringKey]: password });
  }
  return password;
}

/** The name a `SecretId` names: the name itself, or an ARN (complete, with its 6-character suffix, or partial). */
export function secretNameOf(secretId: string, names: readonly string[]): string | undefined {
  if (names.includes(secretId)) return secretId;
  const prefix = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:`;
  if (!secretId.startsWith(prefix)) return undefined;
  const rest = secretId.slice(prefix.length);
  if (names.includes(rest)) return rest;
  const complete = /^(.+)-[A-Za-z0-9]{6}$/.exec(rest)?.[1];
  return complete !== undefined && names.includes(complete) ? complete : undefined;
}

/** The `GetSecretValue` answer, or the error Secrets Manager gives for an unknown secret. */
export function getSecretValue(dataDir: string | undefined, input: { SecretId?: unknown }): { status: number; body: Record<string, unknown> } {
  const values = dataDir === undefined ? {} : readSecretsFile(dataDir);
  const secretId = typeof input.SecretId === 'string' ? input.SecretId : '';
  const name = secretNameOf(secretId, Object.keys(values));
  if (name === undefined) {
    return { status: 400, body: { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." } };
  }
  return {
    status: 200,
    body: {
      ARN: secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}`,
      Name: name,
      VersionId: 'local-current',
      SecretString: values[name],
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 0,
    },
  };
}

/** A webhook source as `.queueflow/local.json` lists it, so a developer can sign test deliveries. */
export interface LocalWebhookSource {
  readonly name: string;
  /** `stripe`, `github`, `shopify`, `standardWebhooks` or `hmac`. */
  readonly scheme: string;
  /** The local URL to post deliveries to. */
  readonly url: string;
  /** The active signing secret (`current` of the secret's JSON value). */
  readonly signingSecret: string;
  /** The secret's name, its key in `<data-dir>/secrets.json`. */
  readonly secretName: string;
}

/** The webhook sources of the model (secrets with `queueflow:webhookSource` metadata), with their local URL and signing secret. */
export function localWebhookSources(secrets: readonly LocalSecret[], values: Readonly<Record<string, string>>, apiUrl: string): LocalWebhookSource[] {
  return secrets.flatMap((secret) => {
    if (secret.webhookSource === undefined) return [];
    let signingSecret = '';
    try {
      signingSecret = String((JSON.parse(values[secret.name] ?? '{}') as { current?: unknown }).current ?? '');
    } catch {
      // Not the JSON a webhook secret holds: listed with an empty secret, and the receiver answers 500.
    }
    const { name, scheme, path } = secret.webhookSource;
    return [{ name, scheme, url: `${apiUrl.replace(/\/$/, '')}${path}`, signingSecret, secretName: secret.name }];
  });
}
