/**
 * Validation runs in linear time: a value built to make a regular expression backtrack, as large
 * as a body that reaches the producer can hold, is rejected in milliseconds in any string field of
 * the sample's event types.
 *
 * The schemas are the draft-4 documents the sample stack bakes into its producer (the workflow's
 * event catalog), compiled as the producer compiles them; the string fields come from walking
 * those schemas, so a field added to a sample schema is covered without editing this file. Each
 * value is checked twice: by the producer's validator (which stops at the first error, so the
 * length check rejects it before any pattern runs) and by a validator that runs every keyword
 * (as the local gateway's does), which proves each pattern itself linear.
 */
import { App } from 'aws-cdk-lib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileBodyValidator, type BodyValidator } from '../../../lambdas/shared/validation.ts';
import { QueueflowSampleStack } from '../../../sample/stack.ts';
import { bodyOf, loadCorpus } from '../../corpus/cases.ts';

/** The largest value that still reaches the validator: the producer answers 413 over 256 KiB of body. */
const VALUE_LENGTH = 250_000;
/** Per validation; a backtracking pattern takes seconds on such a value. */
const BUDGET_MS = 50;

type Path = readonly (string | number)[];
type Json = Record<string, unknown>;

interface Route {
  readonly eventType: string;
  readonly method: string;
  readonly resourcePath: string;
  readonly validate: BodyValidator;
  readonly validateAll: BodyValidator;
  /** Every string field of the body schema; array elements as index 0. */
  readonly stringFields: readonly Path[];
}

/** The paths of every `type: 'string'` node of a draft-4 schema (properties, array items, combinators). */
const stringFieldsOf = (schema: Json, path: Path = []): Path[] => {
  const nested = ['allOf', 'anyOf', 'oneOf'].flatMap((keyword) =>
    ((schema[keyword] as Json[] | undefined) ?? []).flatMap((branch) => stringFieldsOf(branch, path)),
  );
  if (schema.type === 'string') return [path, ...nested];
  const properties = Object.entries((schema.properties as Record<string, Json> | undefined) ?? {});
  const items = schema.items as Json | undefined;
  return [
    ...properties.flatMap(([name, child]) => stringFieldsOf(child, [...path, name])),
    ...(items && !Array.isArray(items) ? stringFieldsOf(items, [...path, 0]) : []),
    ...nested,
  ];
};

const pointerOf = (path: Path): string => path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** A copy of `body` with `value` at `path`, creating the objects and arrays on the way. */
const withValueAt = (body: Json, path: Path, value: unknown): Json => {
  const copy = structuredClone(body);
  let target: Record<string | number, unknown> = copy;
  path.forEach((key, index) => {
    if (index === path.length - 1) {
      target[key] = value;
      return;
    }
    target[key] ??= typeof path[index + 1] === 'number' ? [] : {};
    target = target[key] as Record<string | number, unknown>;
  });
  return copy;
};

/** `/users/{userId}/erasure` → a RegExp matching `/users/u-1/erasure`. */
const routeMatcher = (resourcePath: string): RegExp =>
  new RegExp(`^${resourcePath.split(/\{[^}]+\}/).map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);

const corpus = loadCorpus();
/** The corpus case of a route's event type, if the path of the case (query string aside) is the route's. */
const routeOf = (routes: readonly Route[], method: string, path: string): Route | undefined =>
  routes.find((route) => route.method === method && routeMatcher(route.resourcePath).test(path.split('?')[0]!));
const jsonObject = (bytes: Buffer): Json | undefined => {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
};

let routes: Route[] = [];
/** A valid body per event type, from the corpus: the base each adversarial value is placed in. */
const validBodies = new Map<string, Json>();

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { workflow } = new QueueflowSampleStack(app, 'QueueflowSample');
  routes = workflow.eventCatalog.map((entry) => ({
    eventType: entry.eventType,
    method: entry.method,
    resourcePath: entry.resourcePath,
    // As lambdas/shared/producer.ts compiles each catalog entry.
    validate: compileBodyValidator(entry.schema),
    validateAll: compileBodyValidator(entry.schema, { allErrors: true }),
    stringFields: stringFieldsOf(entry.schema),
  }));
  for (const c of corpus.filter((candidate) => candidate.expectAccepted)) {
    const route = routeOf(routes, c.method, c.path);
    const body = jsonObject(bodyOf(c));
    if (route && body && !validBodies.has(route.eventType)) validBodies.set(route.eventType, body);
  }
});

/** An adversarial value: the prefix, then `unit` repeated, then the tail. */
interface Shape {
  readonly prefix: string;
  readonly unit: string;
  readonly tail: string;
}

/** The value of a shape, exactly VALUE_LENGTH characters (built in the property, so a failure prints the shape). */
const valueOf = ({ prefix, unit, tail }: Shape): string => {
  const room = VALUE_LENGTH - prefix.length - tail.length;
  return `${prefix}${unit.repeat(Math.floor(room / unit.length))}${unit.slice(0, room % unit.length)}${tail}`;
};

// Runs of characters some field allows (letters, digits, separators, the email's '@' and '.',
// the phone's '+'), alone or in pairs, ending in a character some field forbids: the shapes
// that make a pattern's repeated parts try every split of the run before failing. The first is
// the reported one: `a@`, dots, `@`.
const shapes: fc.Arbitrary<Shape> = fc.oneof(
  fc.constant({ prefix: 'a@', unit: '.', tail: '@' }),
  fc.record({
    prefix: fc.constantFrom('', 'a', 'a@', 'a@b', '+1', 'A-', '@'),
    unit: fc.constantFrom('a', 'A', '0', '.', '@', '-', '_', '+', ' ', 'a.', '.a', 'a@', '@.', 'a-', '0-', 'a.b@'),
    tail: fc.constantFrom('', '!', '@', '.', ' ', '\n', '\u0000', '@.', '.@', 'é'),
  }),
);

/**
 * Validates one body and times it, as the fastest of three runs: on a busy machine a single run
 * can take a GC pause or lose the CPU for tens of milliseconds, whereas a backtracking pattern is
 * slow on every run (seconds, not milliseconds).
 */
const timed = (validate: BodyValidator, body: Json) => {
  const result = validate(body);
  let ms = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    validate(body);
    ms = Math.min(ms, performance.now() - started);
  }
  return { result, ms };
};

describe('validation in linear time', () => {
  it('walks the sample schemas to every string field', () => {
    const fields = routes.flatMap((route) => route.stringFields.map((path) => `${route.eventType} ${pointerOf(path)}`));

    expect(fields.sort()).toEqual(
      [
        'order.placed /orderId',
        'order.placed /customer/id',
        'order.placed /customer/email',
        'order.placed /customer/phone',
        'order.placed /items/0/sku',
        'user.erasure_requested /reason',
        'account.opened /accountId',
        'account.opened /email',
        'account.charged /currency',
      ].sort(),
    );
    expect([...validBodies.keys()].sort()).toEqual(routes.map((route) => route.eventType).sort());
  });

  it('rejects the reported email (a@, 60,000 dots, @) at once, naming the field', () => {
    const route = routes.find((candidate) => candidate.eventType === 'order.placed')!;
    const body = withValueAt(validBodies.get(route.eventType)!, ['customer', 'email'], `a@${'.'.repeat(60_000)}@`);
    const { result, ms } = timed(route.validate, body);

    expect(result).toEqual({ valid: false, errors: [{ field: '/customer/email', message: 'must NOT have more than 254 characters' }] });
    expect(ms).toBeLessThan(BUDGET_MS);
  });

  const fieldsAndValues = () =>
    fc.tuple(
      fc.constantFrom(...routes.flatMap((route) => route.stringFields.map((path) => ({ field: `${route.eventType} ${pointerOf(path)}`, route, path })))),
      shapes,
    );

  it(`rejects a ${VALUE_LENGTH.toLocaleString('en')}-character adversarial value in any string field within ${BUDGET_MS} ms, naming that field first`, () => {
    fc.assert(
      fc.property(fieldsAndValues(), ([{ route, path }, shape]) => {
        // Prepare
        const body = withValueAt(validBodies.get(route.eventType)!, path, valueOf(shape));

        // Act
        const { result, ms } = timed(route.validate, body);

        // Assess
        expect(result.valid).toBe(false);
        expect(result.valid ? [] : result.errors.map((error) => error.field)).toEqual([pointerOf(path)]);
        expect(ms).toBeLessThan(BUDGET_MS);
      }),
      { numRuns: 300 },
    );
  });

  it(`runs every pattern over such a value within ${BUDGET_MS} ms too (no pattern backtracks)`, () => {
    fc.assert(
      fc.property(fieldsAndValues(), ([{ route, path }, shape]) => {
        const body = withValueAt(validBodies.get(route.eventType)!, path, valueOf(shape));

        const { result, ms } = timed(route.validateAll, body);

        expect(result.valid).toBe(false);
        expect(ms).toBeLessThan(BUDGET_MS);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the corpus against the producer validator', () => {
  it('accepts the body of every case the corpus expects accepted', () => {
    const accepted = corpus.filter((c) => c.expectAccepted);
    expect(accepted.length).toBeGreaterThan(10);

    for (const c of accepted) {
      const route = routeOf(routes, c.method, c.path);
      expect(route, `${c.name}: no event type for ${c.method} ${c.path}`).toBeDefined();
      const body = jsonObject(bodyOf(c));
      expect(body, `${c.name}: body is not a JSON object`).toBeDefined();
      expect(route!.validate(body), c.name).toEqual({ valid: true });
    }
  });

  it('names one of the fields the corpus expects for every body it expects rejected by validation', () => {
    const rejected = corpus.filter((c) => c.expectFields !== undefined && c.expectType === 'validation-failed');
    expect(rejected.length).toBeGreaterThan(10);

    for (const c of rejected) {
      const route = routeOf(routes, c.method, c.path)!;
      const result = route.validate(jsonObject(bodyOf(c)));

      // The producer stops at the first failing field; the corpus may list several.
      expect(result.valid, c.name).toBe(false);
      expect(result.valid ? [] : result.errors, c.name).toHaveLength(1);
      expect(c.expectFields, c.name).toContain(result.valid ? undefined : result.errors[0]!.field);
    }
  });
});
