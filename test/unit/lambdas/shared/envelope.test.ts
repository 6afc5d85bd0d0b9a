/** The CloudEvents envelope and the identity fields read from possibly broken bodies. */
import { describe, expect, it } from 'vitest';
import { Envelope, correlationIdFrom, createEnvelope, peekEnvelopeIdentity } from '../../../../lambdas/shared/envelope.ts';

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
