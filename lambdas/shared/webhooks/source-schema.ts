/**
 * The zod schemas of a webhook source's declaration: the construct validates a declaration with
 * them at synth (every problem in one error). Not imported by the Lambda code, which loads no
 * schema library: the receiver reads the configuration the construct already validated
 * (sources.ts).
 */
import * as z from 'zod';

const HEADER = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

export const FieldLocationSchema = z.union([
  z.object({ header: HEADER }).strict(),
  z.object({ bodyField: z.string().regex(/^(?:\/[A-Za-z0-9_.-]+)+$/) }).strict(),
]);

export const EventTypeLocationSchema = z.union([FieldLocationSchema, z.object({ fixed: z.string().regex(/^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/) }).strict()]);

export const HmacVerificationSchema = z
  .object({
    scheme: z.literal('hmac'),
    header: HEADER,
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']),
    prefix: z.string().max(32).default(''),
    separator: z.string().min(1).max(4).optional(),
    signedContent: z.string().max(200).default('{body}'),
    timestampHeader: HEADER.optional(),
    toleranceSeconds: z.number().int().positive().max(86_400).default(300),
    secretEncoding: z.enum(['utf8', 'base64']).default('utf8'),
  })
  .strict()
  .refine((config) => !config.signedContent.includes('{timestamp}') || config.timestampHeader !== undefined, {
    message: 'signedContent uses {timestamp}: set timestampHeader',
    path: ['timestampHeader'],
  })
  .refine((config) => config.signedContent.includes('{body}'), { message: 'signedContent must include {body}', path: ['signedContent'] });
