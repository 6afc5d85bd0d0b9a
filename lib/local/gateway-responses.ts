/**
 * API Gateway's own responses (AWS::ApiGateway::GatewayResponse): the errors the gateway answers
 * before or instead of the integration, rendered from the template's response templates.
 *
 * Gateway response templates are not run through VTL; API Gateway only substitutes `$context`
 * variables (and `$stageVariables`, always empty locally). Supported: `$context.error.message`,
 * `$context.error.messageString` (the message as a quoted JSON string),
 * `$context.error.validationErrorString` (quotes escaped, so it can sit inside a JSON string),
 * `$context.error.responseType`, `$context.requestId`, `$context.extendedRequestId`,
 * `$context.path`, `$context.resourcePath`, `$context.httpMethod`, `$context.stage`,
 * `$context.apiId`, `$context.accountId`, `$context.domainName`, `$context.protocol`,
 * `$context.requestTime`, `$context.requestTimeEpoch`, `$context.identity.sourceIp`,
 * `$context.identity.userAgent`, `$context.identity.apiKey`; also in `${…}` and `$!{…}` form.
 * Any other variable renders empty. Templates are compiled once, when the gateway starts.
 */
import type { LocalGatewayResponse } from './model.ts';

/** The response types the local gateway emits, with AWS's default status codes. */
export const GatewayResponseTypes = {
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  ACCESS_DENIED: 403,
  INVALID_API_KEY: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  THROTTLED: 429,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  DEFAULT_5XX: 502,
} as const;
export type GatewayResponseType = keyof typeof GatewayResponseTypes;

/** `x-amzn-ErrorType` as API Gateway sends it with each of its own errors. */
const errorTypes: Record<GatewayResponseType, string> = {
  BAD_REQUEST_BODY: 'BadRequestException',
  BAD_REQUEST_PARAMETERS: 'BadRequestException',
  ACCESS_DENIED: 'AccessDeniedException',
  INVALID_API_KEY: 'ForbiddenException',
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  REQUEST_TOO_LARGE: 'RequestTooLargeException',
  THROTTLED: 'TooManyRequestsException',
  INTEGRATION_FAILURE: 'InternalServerErrorException',
  INTEGRATION_TIMEOUT: 'InternalServerErrorException',
  DEFAULT_5XX: 'InternalServerErrorException',
};

/** What a gateway response's templates and header mappings can refer to. */
export interface GatewayErrorContext {
  readonly message: string;
  readonly validationErrorString?: string;
  /** `$context.*` values other than `error.*`, by dotted name (`requestId`, `identity.sourceIp`). */
  readonly context: Readonly<Record<string, string>>;
  /** `method.request.header.*`, `method.request.querystring.*`, `method.request.path.*` values. */
  readonly requestParameter: (name: string) => string | undefined;
}

export interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

type Part = string | { readonly variable: string };
type Compiled = { readonly contentType: string; readonly parts: readonly Part[] };

const VARIABLE = /\$!?(?:\{((?:context|stageVariables)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\}|((?:context|stageVariables)(?:\.[A-Za-z_][A-Za-z0-9_]*)+))/g;

function compileTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push({ variable: (match[1] ?? match[2])! });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

/** AWS's response when a type has no template of its own: `{"message":$context.error.messageString}`. */
const AWS_DEFAULT: Compiled = { contentType: 'application/json', parts: compileTemplate('{"message":$context.error.messageString}') };

/**
 * The gateway responses of one REST API, compiled.
 *
 * @example
 * ```ts
 * const responses = new GatewayResponses(api.gatewayResponses);
 * const { statusCode, headers, body } = responses.render('THROTTLED', { message: 'Too Many Requests', context, requestParameter });
 * ```
 */
export class GatewayResponses {
  readonly #declared: Readonly<Record<string, LocalGatewayResponse>>;
  readonly #templates = new Map<string, Compiled>();

  constructor(declared: Readonly<Record<string, LocalGatewayResponse>>) {
    this.#declared = declared;
    for (const [type, response] of Object.entries(declared)) {
      const entries = Object.entries(response.responseTemplates);
      const [contentType, template] = entries.find(([key]) => key === 'application/json') ?? entries[0] ?? [];
      if (contentType !== undefined && template !== undefined) this.#templates.set(type, { contentType, parts: compileTemplate(template) });
    }
  }

  /**
   * Renders the response of `type`, falling back to DEFAULT_4XX/DEFAULT_5XX and then to AWS's
   * default body. `statusOverride` serves the local 404/405 extensions.
   */
  render(type: GatewayResponseType, error: GatewayErrorContext, statusOverride?: number): RenderedResponse {
    const family = GatewayResponseTypes[type] >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const own = this.#declared[type];
    const fallback = this.#declared[family];
    const declaredStatus = own?.statusCode ?? fallback?.statusCode;
    const statusCode = statusOverride ?? (declaredStatus ? Number(declaredStatus) : GatewayResponseTypes[type]);
    const template = this.#templates.get(type) ?? this.#templates.get(family) ?? AWS_DEFAULT;
    const headers: Record<string, string> = { 'Content-Type': template.contentType, 'x-amzn-ErrorType': errorTypes[type] };
    for (const source of [fallback, own]) {
      for (const [key, value] of Object.entries(source?.responseParameters ?? {})) {
        const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
        const resolved = name === undefined ? undefined : headerValue(value, error);
        if (name !== undefined && resolved !== undefined) headers[name] = resolved;
      }
    }
    const body = template.parts.map((part) => (typeof part === 'string' ? part : variable(part.variable, error, type))).join('');
    return { statusCode, headers, body };
  }
}

/** A header mapping value: a static `'literal'` or a `method.request.*` parameter. */
function headerValue(value: string, error: GatewayErrorContext): string | undefined {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  if (value.startsWith('method.request.')) return error.requestParameter(value.slice('method.request.'.length));
  if (value.startsWith('context.')) return error.context[value.slice('context.'.length)];
  return undefined;
}

function variable(name: string, error: GatewayErrorContext, type: GatewayResponseType): string {
  switch (name) {
    case 'context.error.message':
      return error.message;
    case 'context.error.messageString':
      return JSON.stringify(error.message);
    case 'context.error.validationErrorString':
      return JSON.stringify(error.validationErrorString ?? '').slice(1, -1);
    case 'context.error.responseType':
      return type;
    default:
      return name.startsWith('context.') ? (error.context[name.slice('context.'.length)] ?? '') : '';
  }
}
