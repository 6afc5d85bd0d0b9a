/**
 * The validators generated at synth: the consumers' data check accepts and refuses exactly what
 * the sample's zod data schemas did (the check the consumers ran before, with zod at init), and
 * the data document is the body's plus the route's path parameters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventDataSchema, eventValidatorsModule } from '../../../lib/constructs/event-validators.ts';
import { isPermanentFailure } from '../../../lambdas/shared/errors.ts';
import { InvalidEventDataError, MissingEventValidatorError, parseEventData } from '../../../lambdas/shared/event-data.ts';
import { runValidator } from '../../../lambdas/shared/validation-errors.ts';
import { OrderPlacedData, UserErasureRequestedData } from '../../../sample/events.ts';
import { installSampleEventValidators } from '../../helpers/event-validators.ts';

const validators = await installSampleEventValidators();

const order = {
  orderId: 'ord-1',
  customer: { id: 'cus-1', email: 'ada@example.com', phone: '+15555550100' },
  items: [{ sku: 'BOOK-1', quantity: 2 }],
};
const erasure = { userId: 'cus-1', reason: 'GDPR request' };

/** Every path to a value in `value` (objects and arrays), the root included. */
const pathsOf = (value: unknown, path: (string | number)[] = []): (string | number)[][] =>
  typeof value === 'object' && value !== null
    ? [path, ...Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...path, Array.isArray(value) ? Number(key) : key]))]
    : [path];

const setAt = (value: unknown, path: readonly (string | number)[], replacement: unknown): unknown => {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  if (replacement === undefined) delete target[path.at(-1)!];
  else target[path.at(-1)!] = replacement;
  return copy;
};

const isObjectAt = (value: unknown, path: readonly (string | number)[]): boolean => {
  const found = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
  return typeof found === 'object' && found !== null && !Array.isArray(found);
};

/** The value with one of its parts replaced (by anything, or removed), or a field added. */
const mutationsOf = (value: object) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...pathsOf(value)), fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constant(undefined))).map(([path, replacement]) => setAt(value, path, replacement)),
    fc.tuple(fc.constantFrom(...pathsOf(value).filter((path) => isObjectAt(value, path))), fc.string(), fc.jsonValue()).map(([path, key, extra]) =>
      setAt(value, [...path, key], extra),
    ),
  );

describe('consumer data validators', () => {
  it.each([
    ['order.placed', order, OrderPlacedData],
    ['user.erasure_requested', erasure, UserErasureRequestedData],
  ] as const)('%s: accepts and refuses exactly what the zod data schema does', (eventType, valid, zodSchema) => {
    const validate = validators[eventType]!.data!;
    fc.assert(
      fc.property(fc.oneof(fc.constant(valid), mutationsOf(valid), fc.anything()), (data) => {
        expect(runValidator(validate, data).valid).toBe(zodSchema.safeParse(data).success);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('eventDataSchema', () => {
  const body = { type: 'object', properties: { userId: { type: 'integer' }, reason: { type: 'string' } }, required: ['userId'], additionalProperties: false };

  it('adds each path parameter as a required string of the producer\'s rule, winning over a body field of its name', () => {
    // Act
    const data = eventDataSchema(body, '/users/{userId}/erasure');

    // Assess
    expect(data).toEqual({
      ...body,
      properties: { userId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, reason: { type: 'string' } },
      required: ['userId'],
    });
  });

  it('is the body document itself for a route without parameters, generated once', () => {
    // Act
    const source = eventValidatorsModule([{ eventType: 'note.added', body, data: eventDataSchema(body, '/notes') }]);

    // Assess
    expect(eventDataSchema(body, '/notes')).toBe(body);
    expect(source).toContain('"note.added": { body: validate0, data: validate0 }');
  });
});

describe('parseEventData', () => {
  it('returns valid data, and refuses invalid data permanently, naming the fields and never their values', () => {
    // Act
    const refused = (() => {
      try {
        parseEventData('order.placed', { ...order, customer: { ...order.customer, email: 'secret-value' } });
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(parseEventData('order.placed', order)).toBe(order);
    expect(refused).toBeInstanceOf(InvalidEventDataError);
    expect(isPermanentFailure(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/^Invalid order\.placed data: \/customer\/email: /);
    expect((refused as Error).message).not.toContain('secret-value');
  });

  it('fails transiently for an event type the bundle has no validator for', () => {
    // Act / Assess
    expect(() => parseEventData('order.cancelled', {})).toThrow(MissingEventValidatorError);
    expect(isPermanentFailure(new MissingEventValidatorError('order.cancelled'))).toBe(false);
  });
});
