import { checkSync, type Diagnostics } from 'recheck';

/** A `pattern` (or `patternProperties` key) of a JSON Schema that can backtrack catastrophically. */
export interface UnsafePattern {
  /** JSON pointer of the keyword in the schema, e.g. `/properties/customer/properties/email/pattern`. */
  readonly at: string;
  readonly pattern: string;
  /** `exponential`, `polynomial (degree 2)`, or why the pattern could not be checked. */
  readonly reason: string;
  /** A JavaScript expression of an input that shows the blow-up, when one was found. */
  readonly attack?: string;
}

// Schema keywords whose value is a schema, an array of schemas, or a map of names to schemas
// (draft 4). Values under enum, default and the like are data, never searched.
const SCHEMA_KEYWORDS = ['items', 'additionalItems', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', 'dependencies'];

/** ajv compiles patterns with the `u` flag (`unicodeRegExp`), so they are checked with it. */
const FLAGS = 'u';
/** The per-pattern budget of the check; a pattern it cannot settle in time counts as unsafe. */
const CHECK_TIMEOUT_MS = 10_000;

// A pattern is analysed once per process: an app or a test run declares the same schemas often.
const verdicts = new Map<string, Diagnostics>();

const verdictOf = (pattern: string): Diagnostics => {
  let verdict = verdicts.get(pattern);
  if (verdict === undefined) {
    verdict = checkSync(pattern, FLAGS, { timeout: CHECK_TIMEOUT_MS });
    verdicts.set(pattern, verdict);
  }
  return verdict;
};

const pointerToken = (name: string | number): string => String(name).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Finds every regular expression in a JSON Schema draft 4 document whose matching time can grow
 * faster than linearly with the input (exponential or polynomial backtracking, such as
 * `^[^@]+@[^@]+\.[^@]+$` on `a@` followed by thousands of dots), using recheck's static and
 * fuzzing analysis. Returns a verdict per unsafe pattern and never throws, so a caller can
 * report them all at once.
 *
 * @example
 * ```ts
 * findUnsafePatterns({ type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } });
 * // [{ at: '/properties/code/pattern', pattern: '^(a+)+$', reason: 'exponential', attack: "'a' + 'a'.repeat(31) + '\\x00'" }]
 * ```
 */
export function findUnsafePatterns(schema: unknown): UnsafePattern[] {
  const found: UnsafePattern[] = [];
  const check = (pattern: string, at: string): void => {
    const verdict = verdictOf(pattern);
    if (verdict.status === 'safe') return;
    if (verdict.status === 'vulnerable') {
      const { complexity } = verdict;
      const reason = complexity.type === 'polynomial' ? `polynomial (degree ${complexity.degree})` : 'exponential';
      found.push({ at, pattern, reason, attack: verdict.attack.pattern });
    } else {
      const detail = 'message' in verdict.error ? `: ${verdict.error.message}` : '';
      found.push({ at, pattern, reason: `could not be checked (${verdict.error.kind}${detail})` });
    }
  };
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, `${at}/${index}`));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const keywords = node as Record<string, unknown>;
    if (typeof keywords.pattern === 'string') check(keywords.pattern, `${at}/pattern`);
    for (const keyword of SCHEMA_KEYWORDS) visit(keywords[keyword], `${at}/${keyword}`);
    for (const keyword of SCHEMA_MAP_KEYWORDS) {
      const map = keywords[keyword];
      if (typeof map !== 'object' || map === null || Array.isArray(map)) continue;
      for (const [name, child] of Object.entries(map)) {
        const childAt = `${at}/${keyword}/${pointerToken(name)}`;
        if (keyword === 'patternProperties') check(name, childAt);
        visit(child, childAt);
      }
    }
  };
  visit(schema, '');
  return found;
}
