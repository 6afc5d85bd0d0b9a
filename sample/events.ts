/**
 * The sample app's event types: one zod schema per request body.
 *
 * These schemas are the single source of validation. The CDK construct converts each to a
 * JSON Schema draft 4 document (`z.toJSONSchema(schema, { target: 'draft-4' })`) that becomes
 * the API Gateway request model, and generates from it at synth the producer's body validator and
 * the consumers' data validator (the body plus the route's path parameters), so API Gateway, the
 * producer and the consumers accept exactly the same data. The functions import only the types
 * below: no zod code runs in a Lambda.
 */
import * as z from 'zod';

export { EventTypes, type EventType } from './event-types.ts';

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);

/** `POST /orders` body. */
export const OrderPlacedBody = z
  .object({
    orderId: Id,
    customer: z
      .object({
        id: Id,
        // Domain labels cannot contain the dot that separates them, so every input has one way
        // to match and the check is linear; `[^@\s]+\.[^@\s]+` let the engine try every split of
        // a run of dots (quadratic: 60,000 dots took seconds).
        email: z.string().min(3).max(254).regex(/^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$/),
        // E.164: '+', then 7 to 15 digits. The length bound is checked before the pattern.
        phone: z.string().min(8).max(16).regex(/^\+[1-9][0-9]{6,14}$/),
      })
      .strict(),
    items: z
      .array(
        z
          .object({
            sku: z.string().min(1).max(32).regex(/^[A-Z0-9-]+$/),
            quantity: z.number().int().min(1).max(1000),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict();
export type OrderPlacedBody = z.infer<typeof OrderPlacedBody>;

/** `POST /users/{userId}/erasure` body; `userId` comes from the path. */
export const UserErasureRequestedBody = z
  .object({
    reason: z.string().min(1).max(500).optional(),
  })
  .strict();
export type UserErasureRequestedBody = z.infer<typeof UserErasureRequestedBody>;

/** Event data as consumers see it: the body merged with the route's path parameters. */
export type OrderPlacedData = OrderPlacedBody;
export type UserErasureRequestedData = UserErasureRequestedBody & { userId: string };

/** `order.placed` event data: the body itself (the route has no path parameters). */
export const OrderPlacedData = OrderPlacedBody;

/** `user.erasure_requested` event data: the body plus the `userId` path parameter. */
export const UserErasureRequestedData = UserErasureRequestedBody.extend({ userId: Id });

/** `POST /accounts` body. */
export const AccountOpenedBody = z
  .object({
    accountId: Id,
    email: z.string().min(3).max(254).regex(/^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$/),
  })
  .strict();
export type AccountOpenedBody = z.infer<typeof AccountOpenedBody>;

/** `POST /accounts/{accountId}/verification` body: empty, `accountId` comes from the path. */
export const AccountVerifiedBody = z.object({}).strict();

/** `POST /accounts/{accountId}/charges` body; `accountId` comes from the path. */
export const AccountChargedBody = z
  .object({
    amountCents: z.number().int().min(1).max(100_000_000),
    // ISO 4217 code; the length bound is checked before the pattern.
    currency: z.string().length(3).regex(/^[A-Z]{3}$/),
  })
  .strict();
export type AccountChargedBody = z.infer<typeof AccountChargedBody>;

/** The key the account lifecycle is ordered by: every account event's data has it (body or path). */
export const ACCOUNT_KEY = '/accountId';

/** Account event data as the billing consumer sees it: the body plus the path's `accountId`. */
export type AccountOpenedData = AccountOpenedBody;
export type AccountVerifiedData = { accountId: string };
export type AccountChargedData = AccountChargedBody & { accountId: string };
