/**
 * The envelope's zod schema: the one source of the envelope check. Not imported by the Lambda
 * code: the consumers run the standalone validator generated from it
 * (envelope-validator.generated.ts, `npm run generate:validators`), so no schema library is
 * loaded when a function starts. For synth-time code, tools and tests.
 */
import * as z from 'zod';
import { CORRELATION_ID } from './envelope.ts';
import { MAX_SUBJECT_LENGTH } from './erasure.ts';

/** An envelope as consumers receive it; `data` is left to the consumer to parse. */
export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(128),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json').optional(),
  correlationid: z.string().regex(CORRELATION_ID),
  /** Extension: the data subject (e.g. the customer id) when the event type names one; see shared/erasure.ts. */
  datasubject: z.string().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  data: z.record(z.string(), z.unknown()),
});
