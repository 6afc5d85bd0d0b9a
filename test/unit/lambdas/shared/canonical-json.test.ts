/**
 * The canonical JSON the producer hashes (docs/architecture.md, "The envelope"): RFC 8785 (JCS)
 * for parsed JSON values, so the same data always gives the same text and hash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonSha256 } from '../../../../lambdas/shared/canonical-json.ts';

describe('canonical JSON', () => {
  it('writes no whitespace and sorts object members by name, at every depth; arrays keep their order', () => {
    // Act
    const text = canonicalJson(JSON.parse('{ "b": [3, 1, {"z": 1, "y": 2}], "a": {"d": null, "c": true}, "A": false }'));

    // Assess
    expect(text).toBe('{"A":false,"a":{"c":true,"d":null},"b":[3,1,{"y":2,"z":1}]}');
  });

  it('gives the same text for any key order and whitespace', () => {
    // Prepare
    const compact = '{"orderId":"o-1","customer":{"id":"c-1","email":"a@example.com"},"items":[{"sku":"BOOK-1","quantity":1}]}';
    const reordered = '{\n  "items": [ { "quantity": 1, "sku": "BOOK-1" } ],\n\t"customer": { "email": "a@example.com", "id": "c-1" },\r\n "orderId": "o-1"\n}';

    // Act / Assess
    expect(canonicalJson(JSON.parse(reordered))).toBe(canonicalJson(JSON.parse(compact)));
    expect(canonicalJsonSha256(JSON.parse(reordered))).toBe(canonicalJsonSha256(JSON.parse(compact)));
  });

  it('writes numbers as ECMAScript does, so every spelling of one number is one text', () => {
    // Act / Assess
    expect(canonicalJson(JSON.parse('[1.0, 1e0, 10E-1, 100, 1e2, -0, 0.000001, 1e-7, 1e21, 123456789012345678]'))).toBe(
      '[1,1,1,100,100,0,0.000001,1e-7,1e+21,123456789012345680]',
    );
  });

  it('escapes only quote, backslash and control characters, and writes other characters as themselves', () => {
    // Act / Assess
    expect(canonicalJson(JSON.parse('"\\u0041\\u00e9\\u20ac\\ud83d\\ude00 \\"\\\\\\/ \\u0000\\b\\t\\n\\f\\r\\u001f"'))).toBe(
      '"Aé€😀 \\"\\\\/ \\u0000\\b\\t\\n\\f\\r\\u001f"',
    );
  });

  it('sorts names by UTF-16 code units (RFC 8785), not by code points', () => {
    // Prepare: U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB01 in UTF-16
    const data = { '\uFB01': 2, '\u{1F600}': 1, é: 0, z: 0 };

    // Act / Assess
    expect(canonicalJson(data)).toBe('{"z":0,"é":0,"😀":1,"ﬁ":2}');
  });

  it('hashes the UTF-8 bytes of the canonical text with SHA-256, as lower-case hex', () => {
    // Act / Assess: computed independently with `printf '%s' '{"a":1,"b":"é"}' | sha256sum`
    expect(canonicalJsonSha256({ b: 'é', a: 1 })).toBe('09ad9fd2fb648cb2f62141215828ea00a62c299db05d20aa9ade2f527a301cc6');
  });

  it('tells apart any two different values, and parses back to the value it came from', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        // Prepare: what JSON.parse would yield (-0 is 0 in JSON)
        const [left, right] = [JSON.parse(JSON.stringify(a)) as unknown, JSON.parse(JSON.stringify(b)) as unknown];

        // Act / Assess
        expect(JSON.parse(canonicalJson(left))).toEqual(left);
        if (JSON.stringify(sorted(left)) !== JSON.stringify(sorted(right))) {
          expect(canonicalJson(left)).not.toBe(canonicalJson(right));
        }
      }),
    );
  });
});

/** An independent sort of every object's members, for the property above. */
const sorted = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, entry]) => [key, sorted(entry)]));
};
