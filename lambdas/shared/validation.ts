/**
 * Request body validation with the same JSON Schema draft 4 document API Gateway uses as its
 * request model, compiled at run time: the local API gateway's validator. Deployed functions do
 * not compile schemas; they run the standalone code generated at synth from the same documents
 * with the same options ({@link createDraft4Ajv}; lib/constructs/event-validators.ts).
 */
import AjvDraft04 from 'ajv-draft-04';
import addFormatsPlugin from 'ajv-formats';
import { runValidator, type ValidationResult } from './validation-errors.ts';

export type { ValidationResult } from './validation-errors.ts';

// Both packages are CommonJS whose module.exports is also their `default`; NodeNext typing sees
// the module object, so take `.default` when present and the value itself otherwise.
type AjvClass = typeof AjvDraft04.default;
const Ajv: AjvClass = (AjvDraft04 as unknown as { default?: AjvClass }).default ?? (AjvDraft04 as unknown as AjvClass);
type FormatsPlugin = typeof addFormatsPlugin.default;
const addFormats: FormatsPlugin =
  (addFormatsPlugin as unknown as { default?: FormatsPlugin }).default ?? (addFormatsPlugin as unknown as FormatsPlugin);

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

export type Draft4Ajv = InstanceType<AjvClass>;

/**
 * The one ajv configuration body schemas are checked with: draft 4 (API Gateway's dialect),
 * `strict: false` (zod's output carries keywords ajv's strict mode refuses), and ajv-formats.
 * `code` is for the synth-time generator, which asks for standalone source.
 */
export const createDraft4Ajv = (
  options: {
    readonly allErrors?: boolean;
    readonly code?: { readonly source: true; readonly esm: true };
    /** @default true */
    readonly validateFormats?: boolean;
  } = {},
): Draft4Ajv => {
  const ajv = new Ajv({
    allErrors: options.allErrors ?? false,
    strict: false,
    validateFormats: options.validateFormats ?? true,
    ...(options.code ? { code: { ...options.code } } : {}),
  });
  addFormats(ajv);
  return ajv;
};

const instances = new Map<boolean, Draft4Ajv>();

/** One ajv instance per `allErrors` setting, since ajv takes it per instance. */
const ajvFor = (allErrors: boolean): Draft4Ajv => {
  let ajv = instances.get(allErrors);
  if (ajv === undefined) {
    ajv = createDraft4Ajv({ allErrors });
    instances.set(allErrors, ajv);
  }
  return ajv;
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
  return (body) => runValidator(validate, body);
};
