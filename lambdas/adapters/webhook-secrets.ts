/**
 * Webhook signing secrets from Secrets Manager, read with Powertools parameters and cached for
 * `maxAgeSeconds`. Each source's secret is one JSON value, `{"current": "…", "previous": "…"}`:
 * both are tried while a rotation is under way. The SDK honours `AWS_ENDPOINT_URL`, so the local
 * runtime's endpoint serves the same calls.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '../shared/env.ts';
import { activeSecretsOf } from '../shared/webhooks/sources.ts';

export interface WebhookSecrets {
  /** The active secrets of a source (current first); `fresh` skips the cache. */
  active(secretId: string, fresh?: boolean): Promise<string[]>;
}

export const createWebhookSecrets = (maxAgeSeconds: number): WebhookSecrets => {
  const provider = new SecretsProvider();
  return {
    async active(secretId, fresh = false) {
      const value = await provider.get(secretId, { maxAge: maxAgeSeconds, transform: 'json', forceFetch: fresh });
      const secrets = activeSecretsOf(value);
      if (secrets === undefined) throw new ConfigurationError(`Secret ${secretId} must be JSON {"current": "…", "previous"?: "…"}`);
      return secrets;
    },
  };
};
