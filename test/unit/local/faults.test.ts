import { describe, expect, it } from 'vitest';
import { FaultInjector, InvalidFaultConfigError, parseFaultConfig, seededRandom } from '../../../lib/local/faults.ts';

function drawMany(injector: FaultInjector, n: number): (string | undefined)[] {
  return Array.from({ length: n }, () => injector.draw());
}

describe('seededRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    // Prepare
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);

    // Act
    const [sa, sb, sc] = [a, b, c].map((next) => Array.from({ length: 20 }, next));

    // Assess
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('FaultInjector', () => {
  it('injects each fault at its configured rate', () => {
    // Prepare
    const injector = new FaultInjector({ transientFailureRate: 0.2, crashAfterEffectRate: 0.05, duplicateDeliveryRate: 0.1, seed: 7 });

    // Act
    const draws = drawMany(injector, 20_000);

    // Assess
    const rate = (fault: string | undefined) => draws.filter((d) => d === fault).length / draws.length;
    expect(rate('transient')).toBeCloseTo(0.2, 1);
    expect(rate('crash-after-effect')).toBeCloseTo(0.05, 1);
    expect(rate('duplicate-delivery')).toBeCloseTo(0.1, 1);
    expect(rate(undefined)).toBeCloseTo(0.65, 1);
  });

  it('draws the same faults for the same seed', () => {
    // Prepare
    const config = { transientFailureRate: 0.3, duplicateDeliveryRate: 0.3, seed: 99 };

    // Act
    const first = drawMany(new FaultInjector(config), 50);
    const second = drawMany(new FaultInjector(config), 50);

    // Assess
    expect(first).toEqual(second);
    expect(new Set(first).size).toBe(3);
  });

  it('injects nothing with no rates', () => {
    // Prepare
    const injector = new FaultInjector({ seed: 1 });

    // Act
    const draws = drawMany(injector, 1000);

    // Assess
    expect(draws.every((d) => d === undefined)).toBe(true);
  });
});

describe('parseFaultConfig', () => {
  it('accepts the documented configuration', () => {
    // Act
    const config = parseFaultConfig('{ "transientFailureRate": 0.2, "crashAfterEffectRate": 0.05, "duplicateDeliveryRate": 0.1, "seed": 42 }');

    // Assess
    expect(config).toEqual({ transientFailureRate: 0.2, crashAfterEffectRate: 0.05, duplicateDeliveryRate: 0.1, seed: 42 });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['a rate above 1', '{"transientFailureRate": 1.5}', /transientFailureRate/],
    ['an unknown key', '{"transientRate": 0.1}', /transientRate/],
    ['rates adding up above 1', '{"transientFailureRate": 0.6, "crashAfterEffectRate": 0.6}', /add up to 1.2/],
  ])('rejects %s with a clear error', (_, json, message) => {
    // Act
    const parsing = () => parseFaultConfig(json);

    // Assess
    expect(parsing).toThrow(InvalidFaultConfigError);
    expect(parsing).toThrow(message);
  });
});
