/**
 * Request body validation with the same JSON Schema draft 4 document API Gateway uses as its
 * request model, so the Lambda and the gateway agree on what a valid body is.
 */
import AjvDraft04 from 'ajv-draft-04';
import type { ErrorObject } from 'ajv-draft-04';
import addFormatsPlugin from 'ajv-formats';
import type { FieldError } from './problem.ts';

// Both packages are CommonJS whose module.exports is also their `default`; NodeNext typing sees
// the module object, so take `.default` when present and the value itself otherwise.
type AjvClass = typeof AjvDraft04.default;
const Ajv: AjvClass = (AjvDraft04 as unknown as { default?: AjvClass }).default ?? (AjvDraft04 as unknown as AjvClass);
type FormatsPlugin = typeof addFormatsPlugin.default;
const addFormats: FormatsPlugin =
  (addFormatsPlugin as unknown as { default?: FormatsPlugin }).default ?? (addFormatsPlugin as unknown as FormatsPlugin);

export type ValidationResult = { readonly valid: true } | { readonly valid: false; readonly errors: FieldError[] };

/** Validates one body; by default stops at the first failing field (see {@link BodyValidatorOptions}). */
export type BodyValidator = (body: unknown) => ValidationResult;

export interface BodyValidatorOptions {
  /**
   * Report every failing field instead of stopping at the first.
   *
   * The producer keeps the default: with it, no keyword runs once one has failed, and ajv checks
   * `minLength`/`maxLength` before `pattern` (its rule order for strings), so a pattern never
   * runs on a value that is already too long, whatever its size. With `allErrors`, every keyword
   * runs on every value: fine for a development tool, not for a Lambda's hot path.
   * @default false
   */
  readonly allErrors?: boolean;
}

const instances = new Map<boolean, InstanceType<AjvClass>>();

/** One ajv instance per `allErrors` setting, since ajv takes it per instance. */
const ajvFor = (allErrors: boolean): InstanceType<AjvClass> => {
  let ajv = instances.get(allErrors);
  if (ajv === undefined) {
    ajv = new Ajv({ allErrors, strict: false });
    addFormats(ajv);
    instances.set(allErrors, ajv);
  }
  return ajv;
};

/** The JSON pointer of the field an ajv error is about (the missing or extra property included). */
const fieldOf = (error: ErrorObject): string => {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const child = params.missingProperty ?? params.additionalProperty;
  if (child === undefined) return error.instancePath || '/';
  return `${error.instancePath}/${child.replaceAll('~', '~0').replaceAll('/', '~1')}`;
};

/**
 * Compiles a draft-4 schema into a {@link BodyValidator}. Compile once per cold start: ajv
 * generates code per schema, which is the expensive part.
 *
 * @example
 * ```ts
 * const validate = compileBodyValidator({ type: 'object', required: ['orderId', 'items'] });
 * validate({}); // { valid: false, errors: [{ field: '/orderId', message: "must have required property 'orderId'" }] }
 * compileBodyValidator({ type: 'object', required: ['orderId', 'items'] }, { allErrors: true })({});
 * // { valid: false, errors: [{ field: '/orderId', … }, { field: '/items', … }] }
 * ```
 */
export const compileBodyValidator = (schema: object, options: BodyValidatorOptions = {}): BodyValidator => {
  const validate = ajvFor(options.allErrors ?? false).compile(schema);
  return (body) => {
    if (validate(body)) return { valid: true };
    return {
      valid: false,
      errors: (validate.errors ?? []).map((error) => ({ field: fieldOf(error), message: error.message ?? 'is invalid' })),
    };
  };
};
