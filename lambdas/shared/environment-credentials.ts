/**
 * Stands in for `@aws-sdk/credential-provider-node` in the bundles queueflow's constructs build
 * (an esbuild alias; see `SdkCredentials` in lib/constructs/queueflow-function.ts). The SDK
 * clients import only its `defaultProvider`, the default credential chain: environment, SSO, ini
 * files, credential_process, web identity, container and instance metadata, with the STS and SSO
 * clients those need. A Lambda function gets its role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the chain's first link, so the
 * rest is bundle size and start-up time the function never uses.
 *
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** The default chain reduced to its first link: credentials from the environment variables. */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
