/** The CloudEvents envelope and the identity fields read from possibly broken bodies. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENVELOPE_VALIDATOR_FILE, envelopeValidatorSource } from '../../../../lib/constructs/event-validators.ts';
import { EnvelopeSchema as Envelope } from '../../../../lambdas/shared/envelope-schema.ts';
import { checkEnvelope, correlationIdFrom, createEnvelope, peekEnvelopeIdentity } from '../../../../lambdas/shared/envelope.ts';

describe('envelope', () => {
  it('creates a valid CloudEvent with time-ordered UUIDv7 ids', () => {
    // Act
    const first = createEnvelope({ type: 'order.placed', source: 'queueflow/orders', data: { a: 1 }, correlationId: 'c-1' }, new Date('2026-11-22T10:00:00Z'));
    const second = createEnvelope({ type: 'order.placed', source: 'queueflow/orders', data: { a: 1 }, correlationId: 'c-1' });

    // Assess
    expect(Envelope.parse(first)).toEqual(first);
    expect(first).toMatchObject({ specversion: '1.0', time: '2026-11-22T10:00:00.000Z', correlationid: 'c-1', datacontenttype: 'application/json' });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(second.id > first.id).toBe(true);
  });

  it('takes a given id (an idempotent request\'s UUIDv5) instead of a new one', () => {
    // Act
    const envelope = createEnvelope({
      id: 'be7e9281-22da-5746-8fe9-b2ed0ac7df3a',
      type: 'order.placed',
      source: 'queueflow/orders',
      data: { a: 1 },
      correlationId: 'c-1',
    });

    // Assess
    expect(Envelope.parse(envelope).id).toBe('be7e9281-22da-5746-8fe9-b2ed0ac7df3a');
  });

  it('keeps a safe correlation id and replaces anything else', () => {
    // Act / Assess
    expect(correlationIdFrom('abc.DEF_1:2-3')).toBe('abc.DEF_1:2-3');
    for (const unsafe of ['has space', 'x'.repeat(129), 'a\nb', '', undefined]) {
      expect(correlationIdFrom(unsafe)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('peeks the id, type and correlation id of a body, never its data', () => {
    // Act / Assess
    expect(peekEnvelopeIdentity(JSON.stringify({ id: 'e1', type: 't', correlationid: 'c', data: { id: 'inner' } }))).toEqual({
      eventId: 'e1',
      eventType: 't',
      correlationId: 'c',
    });
    expect(peekEnvelopeIdentity(JSON.stringify({ id: 42, type: 'x'.repeat(200) }))).toEqual({
      eventId: undefined,
      eventType: undefined,
      correlationId: undefined,
    });
    expect(peekEnvelopeIdentity('not json')).toEqual({});
    expect(peekEnvelopeIdentity('["e1"]')).toEqual({});
  });
});

describe('envelope check (the validator generated from the zod schema)', () => {
  const validEnvelope = fc.record(
    {
      specversion: fc.constant('1.0'),
      // Up to 64 characters: from 65 on, JSON Schema (code points) and zod (UTF-16 units) count an astral character differently.
      id: fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }),
      source: fc.string({ minLength: 1, maxLength: 40 }),
      type: fc.string({ minLength: 1, maxLength: 40 }),
      time: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => date.toISOString()),
      datacontenttype: fc.constant('application/json'),
      correlationid: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
      datasubject: fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }),
      data: fc.dictionary(fc.string(), fc.jsonValue()),
    },
    { requiredKeys: ['specversion', 'id', 'source', 'type', 'time', 'correlationid', 'data'] },
  );
  // One field replaced by anything at all (or removed), or an unknown field added.
  const mutated = validEnvelope.chain((envelope) =>
    fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(envelope)), fc.oneof(fc.anything(), fc.constant(undefined), fc.string())).map(([field, value]) => ({ ...envelope, [field]: value })),
      fc.tuple(fc.string(), fc.jsonValue()).map(([field, value]) => ({ [field]: value, ...envelope })),
      fc.constantFrom({ id: 'x'.repeat(129) }, { id: 'x'.repeat(128) }, { datasubject: 's'.repeat(257) }, { datasubject: '' }, { correlationid: 'a b' }).map((change) => ({ ...envelope, ...change })),
      fc.constantFrom('2026-11-22T10:00:00', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-22 10:00:00Z', '2026-11-22T10:00:00+01:00').map((time) => ({ ...envelope, time })),
    ),
  );

  it('accepts and refuses exactly what the zod schema does, and keeps what it keeps', () => {
    fc.assert(
      fc.property(fc.oneof(validEnvelope, mutated, fc.anything()), (raw) => {
        // Act
        const checked = checkEnvelope(raw);
        const parsed = Envelope.safeParse(raw);

        // Assess
        expect('envelope' in checked).toBe(parsed.success);
        if ('envelope' in checked && parsed.success) {
          // The data is the parsed body's own object (zod copies it, and drops a `__proto__` key in the copy).
          const { data, ...fields } = checked.envelope;
          const { data: _zodData, ...zodFields } = parsed.data;
          expect(fields).toEqual(zodFields);
          expect(data).toBe((raw as { data: unknown }).data);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('is the code generated from the schema today (npm run generate:validators)', async () => {
    // Act / Assess
    expect(readFileSync(ENVELOPE_VALIDATOR_FILE, 'utf8')).toBe(await envelopeValidatorSource());
  });
});
