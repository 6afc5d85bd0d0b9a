import { Annotations } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { QueueflowConfigError } from './errors.ts';

/**
 * CDK context keys that set the event API's throttles without editing code, e.g. to benchmark the
 * sample: `npx cdk synth -c queueflow:apiKeyRateLimit=10000 -c queueflow:apiKeyBurstLimit=20000
 * -c queueflow:stageRateLimit=10000 -c queueflow:stageBurstLimit=20000`. A rate is requests per
 * second (a positive number); a burst is a number of requests (a positive whole number). Each
 * pair is given whole or not at all. The `apiKeyThrottle` and `stageThrottle` props win over them.
 *
 * API Gateway applies the tightest throttle that matches a request (usage plan, stage, account),
 * so lifting one of the two pairs alone lifts nothing beyond the other.
 */
export const ApiThrottleContextKeys = {
  /** Rate of the API key's usage plan, requests per second (`apiKeyThrottle.rateLimit`). */
  apiKeyRateLimit: 'queueflow:apiKeyRateLimit',
  /** Burst of the API key's usage plan, requests (`apiKeyThrottle.burstLimit`). */
  apiKeyBurstLimit: 'queueflow:apiKeyBurstLimit',
  /** Rate of the whole stage, requests per second (`stageThrottle.rateLimit`). */
  stageRateLimit: 'queueflow:stageRateLimit',
  /** Burst of the whole stage, requests (`stageThrottle.burstLimit`). */
  stageBurstLimit: 'queueflow:stageBurstLimit',
} as const;

export const DEFAULT_API_KEY_THROTTLE: Required<ThrottleSettings> = { rateLimit: 50, burstLimit: 100 };
export const DEFAULT_STAGE_THROTTLE: Required<ThrottleSettings> = { rateLimit: 100, burstLimit: 200 };

/** The throttles a workflow's API gets. */
export interface ApiThrottles {
  readonly apiKey: ThrottleSettings;
  readonly stage: ThrottleSettings;
}

interface ThrottleSource {
  readonly prop: 'apiKeyThrottle' | 'stageThrottle';
  readonly rateKey: string;
  readonly burstKey: string;
  readonly fallback: ThrottleSettings;
}

const SOURCES = {
  apiKey: {
    prop: 'apiKeyThrottle',
    rateKey: ApiThrottleContextKeys.apiKeyRateLimit,
    burstKey: ApiThrottleContextKeys.apiKeyBurstLimit,
    fallback: DEFAULT_API_KEY_THROTTLE,
  },
  stage: {
    prop: 'stageThrottle',
    rateKey: ApiThrottleContextKeys.stageRateLimit,
    burstKey: ApiThrottleContextKeys.stageBurstLimit,
    fallback: DEFAULT_STAGE_THROTTLE,
  },
} as const satisfies Record<keyof ApiThrottles, ThrottleSource>;

/** `-c key=value` arrives as a string; cdk.json and `new App({ context })` can give a number. */
const DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * Each throttle from its prop, else its pair of context values, else the default. Context values
 * are validated (every problem in one QueueflowConfigError naming the key); a context value that a
 * prop overrides is reported as a warning, so a benchmark never runs silently on the prop's value.
 */
export function resolveApiThrottles(scope: Construct, props: Partial<Record<ThrottleSource['prop'], ThrottleSettings>>): ApiThrottles {
  const problems: string[] = [];
  const resolve = (source: ThrottleSource): ThrottleSettings => {
    const given = [source.rateKey, source.burstKey].filter((key) => scope.node.tryGetContext(key) !== undefined);
    const fromProp = props[source.prop];
    if (fromProp !== undefined) {
      if (given.length > 0) {
        Annotations.of(scope).addWarningV2(
          'queueflow:throttleContextIgnored',
          `The '${source.prop}' prop is set, so the context value${given.length > 1 ? 's' : ''} ${given.map((key) => `'${key}'`).join(' and ')} ${given.length > 1 ? 'are' : 'is'} ignored.`,
        );
      }
      return fromProp;
    }
    if (given.length === 0) return source.fallback;
    if (given.length === 1) {
      problems.push(`set both '${source.rateKey}' and '${source.burstKey}', or neither: only '${given[0]}' is set.`);
      return source.fallback;
    }
    const rateLimit = contextNumber(scope, source.rateKey, 'a positive number of requests per second', (value) => value > 0, problems);
    const burstLimit = contextNumber(scope, source.burstKey, 'a positive whole number of requests', (value) => value > 0 && Number.isInteger(value), problems);
    return rateLimit === undefined || burstLimit === undefined ? source.fallback : { rateLimit, burstLimit };
  };
  const throttles = { apiKey: resolve(SOURCES.apiKey), stage: resolve(SOURCES.stage) };
  if (problems.length > 0) throw new QueueflowConfigError(`API throttles of ${scope.node.path}: ${problems.join(' ')}`);
  return throttles;
}

function contextNumber(scope: Construct, key: string, expected: string, valid: (value: number) => boolean, problems: string[]): number | undefined {
  const raw: unknown = scope.node.tryGetContext(key);
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isFinite(value) && valid(value)) return value;
  problems.push(`the context value '${key}' must be ${expected}, not ${JSON.stringify(raw)}.`);
  return undefined;
}
