/**
 * Which request model API Gateway (REST) validates a body against, chosen by the request's
 * Content-Type. The AWS facts, with their sources, are in docs/aws-behaviour.md ("Request model
 * selection"):
 *
 * - the body is validated against the model of the matching content type; with none, against the
 *   `$default` model; with neither, it is not validated at all and reaches the integration as sent
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html);
 * - a request without a Content-Type is taken as `application/json`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html);
 * - models are indexed by media type
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html),
 *   so parameters (`; charset=utf-8`) and case are ignored here. AWS does not document how it
 *   treats them; the QueueWorkflow construct registers its model under `$default` as well, so
 *   its bodies are validated either way.
 */

/** The `requestModels` key whose model applies when no other key matches. */
export const DEFAULT_MODEL_KEY = '$default';

/** The content type API Gateway assumes for a request that sends none. */
export const ASSUMED_CONTENT_TYPE = 'application/json';

/** Returns the model for a request's Content-Type header value, or undefined when none applies. */
export type RequestModelSelector<T> = (contentType: string | undefined) => T | undefined;

/** The media type of a Content-Type value, lower case and without parameters; undefined when blank. */
const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(';', 1)[0]!.trim().toLowerCase() || undefined;

/**
 * Builds the selector for one method's request models (keys as in the template's `RequestModels`).
 *
 * @example
 * ```ts
 * const select = requestModelSelector({ 'application/json': orderModel, $default: anyModel });
 * select('application/json; charset=utf-8'); // orderModel
 * select(undefined);                         // orderModel: no Content-Type means JSON
 * select('text/plain');                      // anyModel
 * requestModelSelector({ 'application/json': orderModel })('text/plain'); // undefined: not validated
 * ```
 */
export function requestModelSelector<T>(models: Readonly<Record<string, T>>): RequestModelSelector<T> {
  const byMediaType = new Map<string, T>();
  let fallback: T | undefined;
  for (const [key, model] of Object.entries(models)) {
    if (key === DEFAULT_MODEL_KEY) fallback = model;
    else byMediaType.set(mediaTypeOf(key) ?? key, model);
  }
  return (contentType) => byMediaType.get(mediaTypeOf(contentType) ?? ASSUMED_CONTENT_TYPE) ?? fallback;
}
