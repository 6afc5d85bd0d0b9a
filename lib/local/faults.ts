/**
 * Fault injection for the local runtime's SQS → Lambda path (`--faults`, `QUEUEFLOW_FAULTS`).
 *
 * Faults exercise the failure modes a deployed queue workflow must survive — a Lambda that fails
 * before doing anything, one that crashes after its side effects, and SQS's at-least-once
 * delivery — without touching handler code. Draws come from a seeded PRNG, so a chaos run with the
 * same seed and the same order of invocations injects the same faults.
 *
 * Semantics (docs/architecture.md, "Fault injection"): the Lambda host draws once per invocation
 * made by the event-source poller (`invoke(..., { source: 'sqs' })`), never for API invocations:
 * - `transient`: the invocation fails before the handler runs;
 * - `crash-after-effect`: the handler runs, then its result is discarded and the invocation fails;
 * - `duplicate-delivery`: the invocation succeeds and the poller sends a copy of one successfully
 *   processed record (body + message attributes) to the same queue.
 */
import { z } from 'zod';

const rate = z.number().min(0).max(1);

const faultConfigSchema = z.strictObject({
  transientFailureRate: rate.optional(),
  crashAfterEffectRate: rate.optional(),
  duplicateDeliveryRate: rate.optional(),
  seed: z.number().int().optional(),
});

/** Probabilities (0–1) of each fault per SQS-sourced invocation, and the PRNG seed. */
export interface FaultConfig {
  readonly transientFailureRate?: number;
  readonly crashAfterEffectRate?: number;
  readonly duplicateDeliveryRate?: number;
  /** @default 1 */
  readonly seed?: number;
}

export const InjectedFaults = {
  Transient: 'transient',
  CrashAfterEffect: 'crash-after-effect',
  DuplicateDelivery: 'duplicate-delivery',
} as const;
export type InjectedFault = (typeof InjectedFaults)[keyof typeof InjectedFaults];

/** The fault configuration is not valid JSON or does not match {@link FaultConfig}. */
export class InvalidFaultConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidFaultConfigError';
  }
}

/**
 * Parses and validates a fault configuration given as JSON text (a `--faults` file's content or
 * `QUEUEFLOW_FAULTS`). Rates must lie in [0, 1] and together must not exceed 1.
 *
 * @example
 * ```ts
 * const faults = parseFaultConfig('{"transientFailureRate":0.2,"seed":42}');
 * ```
 */
export function parseFaultConfig(json: string): FaultConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new InvalidFaultConfigError('Fault configuration is not valid JSON', { cause: error });
  }
  const parsed = faultConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidFaultConfigError(`Invalid fault configuration: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const total = (config.transientFailureRate ?? 0) + (config.crashAfterEffectRate ?? 0) + (config.duplicateDeliveryRate ?? 0);
  if (total > 1) {
    throw new InvalidFaultConfigError(`Invalid fault configuration: the rates add up to ${total}, more than 1`);
  }
  return config;
}

/**
 * mulberry32: a tiny, fast 32-bit PRNG with good enough statistics for fault injection; unlike
 * `Math.random` it can be seeded, which makes chaos runs reproducible.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Draws at most one fault per invocation: one uniform number is compared against the cumulative
 * rates, so the configured rates are exactly the per-invocation probabilities of each fault.
 */
export class FaultInjector {
  readonly #random: () => number;
  readonly #transient: number;
  readonly #crash: number;
  readonly #duplicate: number;

  constructor(config: FaultConfig) {
    this.#random = seededRandom(config.seed ?? 1);
    this.#transient = config.transientFailureRate ?? 0;
    this.#crash = this.#transient + (config.crashAfterEffectRate ?? 0);
    this.#duplicate = this.#crash + (config.duplicateDeliveryRate ?? 0);
  }

  /** The fault to inject into the next SQS-sourced invocation, if any. */
  draw(): InjectedFault | undefined {
    const x = this.#random();
    if (x < this.#transient) return InjectedFaults.Transient;
    if (x < this.#crash) return InjectedFaults.CrashAfterEffect;
    if (x < this.#duplicate) return InjectedFaults.DuplicateDelivery;
    return undefined;
  }
}
