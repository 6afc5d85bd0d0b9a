/**
 * The construct refuses, at synth, an event type whose schema has a pattern that can backtrack
 * catastrophically: the producer would run it on every request.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import { ERASURE_REQUESTED, ORDER_PLACED, workflowFixture } from './workflow-fixture.ts';

const eventType = (schema: z.ZodType) => ({ name: 'code.issued', route: { method: 'POST' as const, path: '/codes' }, schema });

describe('QueueWorkflow schema patterns', () => {
  it('accepts the sample schemas, whose patterns are linear', () => {
    const { workflow } = workflowFixture();

    workflow.addEventType(ORDER_PLACED);
    workflow.addEventType(ERASURE_REQUESTED);

    expect(workflow.eventCatalog.map((entry) => entry.eventType)).toEqual(['order.placed', 'user.erasure_requested']);
  });

  it('fails with one error that names every unsafe pattern, how it grows and an input that shows it', () => {
    // Arrange: the email pattern the sample had before (quadratic) and a classic exponential one.
    const schema = z.object({
      contact: z.object({ email: z.string().max(254).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/) }),
      code: z.string().regex(/^(a+)+$/),
      note: z.string().regex(/^[a-z]+$/),
    });
    const { workflow } = workflowFixture();

    // Act
    const act = () => workflow.addEventType(eventType(schema));

    // Assess
    expect(act).toThrow(QueueflowConfigError);
    let message = '';
    try {
      act();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Event type 'code\.issued': its schema has patterns whose matching time can grow faster than the input/);
    expect(message).toContain('/properties/contact/properties/email/pattern /^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/ is polynomial (degree 2), e.g. on ');
    expect(message).toContain('/properties/code/pattern /^(a+)+$/ is exponential, e.g. on ');
    expect(message).not.toContain('/properties/note');
    expect(workflow.eventCatalog).toHaveLength(0);
  });
});
