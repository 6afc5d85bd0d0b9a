/**
 * ajv's errors as the producer reports them. Shared by the validators compiled at run time
 * (shared/validation.ts, the local API gateway) and the standalone ones generated at synth
 * (shared/event-validators.ts), so both name a failing field the same way. Imports no ajv code.
 */
import type { ErrorObject } from 'ajv';
import type { FieldError } from './problem.ts';

export type ValidationResult = { readonly valid: true } | { readonly valid: false; readonly errors: FieldError[] };

/** A validate function as ajv compiles it, or as its standalone code defines it. */
export interface AjvValidateFunction {
  (data: unknown): boolean;
  errors?: readonly ErrorObject[] | null;
}

/** The JSON pointer of the field an ajv error is about (the missing or extra property included). */
const fieldOf = (error: ErrorObject): string => {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const child = params.missingProperty ?? params.additionalProperty;
  if (child === undefined) return error.instancePath || '/';
  return `${error.instancePath}/${child.replaceAll('~', '~0').replaceAll('/', '~1')}`;
};

/** Runs an ajv validate function and reports its errors as `{ field, message }` pairs. */
export const runValidator = (validate: AjvValidateFunction, value: unknown): ValidationResult => {
  if (validate(value)) return { valid: true };
  return {
    valid: false,
    errors: (validate.errors ?? []).map((error) => ({ field: fieldOf(error), message: error.message ?? 'is invalid' })),
  };
};

/**
 * Field errors as `/path: message` pairs. Names fields (and the rule they break), never their
 * values, so it is safe in logs and failure records whatever the payload holds.
 */
export const describeFieldErrors = (errors: readonly FieldError[]): string => errors.map(({ field, message }) => `${field}: ${message}`).join('; ');
