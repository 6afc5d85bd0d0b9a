/**
 * One text per JSON value: the canonical form the producer hashes to tell two requests apart
 * (docs/architecture.md, "The envelope"). It is RFC 8785's JSON Canonicalization Scheme for the
 * values `JSON.parse` yields, so any language can reproduce it.
 */
import { createHash } from 'node:crypto';

/**
 * The canonical JSON text of a parsed JSON value: no whitespace; object members sorted by name,
 * comparing UTF-16 code units (JavaScript's default sort, as RFC 8785 asks); arrays in order;
 * strings and numbers as `JSON.stringify` writes them (so `1.0`, `1e0` and `1` are all `1`, and
 * only `"`, `\` and control characters are escaped).
 *
 * Two texts that parse to the same value (any key order, any whitespace, any spelling of a
 * number) have the same canonical form.
 *
 * @example
 * canonicalJson(JSON.parse('{ "b": [1.0, "x"], "a": {"d": null, "c": true} }'));
 * // '{"a":{"c":true,"d":null},"b":[1,"x"]}'
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = value as Record<string, unknown>;
    return `{${Object.keys(members)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(members[name])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
};

/** Lower-case hex SHA-256 of the UTF-8 bytes of {@link canonicalJson}. */
export const canonicalJsonSha256 = (value: unknown): string => createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
