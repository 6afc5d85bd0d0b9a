import { describe, expect, it } from 'vitest';
import { findUnsafePatterns } from '../../../lib/constructs/unsafe-patterns.ts';

const EXPONENTIAL = '^(a+)+$';
const QUADRATIC = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

describe('findUnsafePatterns', () => {
  it('passes linear patterns, the sample email pattern included', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
        email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s.]+(?:\\.[^@\\s.]+)+$' },
        phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
      },
    };

    expect(findUnsafePatterns(schema)).toEqual([]);
  });

  it('reports an exponential and a polynomial pattern with the JSON pointer of each and an attack string', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', pattern: EXPONENTIAL }, b: { type: 'string', pattern: QUADRATIC } } };

    expect(findUnsafePatterns(schema)).toEqual([
      { at: '/properties/a/pattern', pattern: EXPONENTIAL, reason: 'exponential', attack: expect.any(String) },
      { at: '/properties/b/pattern', pattern: QUADRATIC, reason: 'polynomial (degree 2)', attack: expect.any(String) },
    ]);
  });

  it('searches every place draft 4 holds a schema, and patternProperties keys', () => {
    const unsafe = { type: 'string', pattern: EXPONENTIAL };
    const schema = {
      type: 'object',
      properties: { 'a/b~c': unsafe },
      patternProperties: { [EXPONENTIAL]: { type: 'string' } },
      additionalProperties: unsafe,
      definitions: { Thing: unsafe },
      dependencies: { a: unsafe, b: ['a'] },
      allOf: [unsafe],
      anyOf: [unsafe],
      oneOf: [unsafe],
      not: unsafe,
      items: [unsafe],
      additionalItems: { type: 'array', items: unsafe },
    };

    expect(findUnsafePatterns(schema).map((found) => found.at).sort()).toEqual(
      [
        '/properties/a~1b~0c/pattern',
        `/patternProperties/${EXPONENTIAL}`,
        '/additionalProperties/pattern',
        '/definitions/Thing/pattern',
        '/dependencies/a/pattern',
        '/allOf/0/pattern',
        '/anyOf/0/pattern',
        '/oneOf/0/pattern',
        '/not/pattern',
        '/items/0/pattern',
        '/additionalItems/items/pattern',
      ].sort(),
    );
  });

  it('ignores data that merely looks like a schema (enum, default, examples)', () => {
    const schema = { type: 'object', enum: [{ pattern: EXPONENTIAL }], default: { pattern: EXPONENTIAL }, examples: [{ pattern: EXPONENTIAL }] };

    expect(findUnsafePatterns(schema)).toEqual([]);
  });

  it('reports a pattern it cannot parse as unchecked rather than safe', () => {
    expect(findUnsafePatterns({ type: 'string', pattern: '(' })).toEqual([
      { at: '/pattern', pattern: '(', reason: expect.stringMatching(/^could not be checked \(invalid/) },
    ]);
  });
});
