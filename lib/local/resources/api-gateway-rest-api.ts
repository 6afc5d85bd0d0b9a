import type { ApiBuilder, ModelBuilder, ResourceType, TemplateResource } from './resource-type.ts';
import { localId } from './resource-type.ts';

const apiId = (resource: TemplateResource) => localId(resource.id);

/**
 * A REST API served by the local gateway. Its methods, stage, usage plans, keys and gateway
 * responses are read by their own modules and attached to it by `RestApiId`.
 */
export const apiGatewayRestApi: ResourceType = {
  type: 'AWS::ApiGateway::RestApi',
  summary:
    'A REST API (RestApi, LambdaRestApi) served by the local gateway on --port, under `/` and under `/<stage>/`; a request body whose Content-Type matches BinaryMediaTypes reaches Lambda base64-encoded, any other as UTF-8 text. One REST API per run; a second one is reported.',
  properties: {
    used: ['Name', 'ApiKeySourceType', 'BinaryMediaTypes'],
    ignored: ['Description', 'EndpointConfiguration', 'Policy', 'DisableExecuteApiEndpoint', 'MinimumCompressionSize', 'Tags', 'CloneFrom', 'FailOnWarnings', 'Mode'],
  },
  refDescription: 'a stable local API id (10 hex digits)',
  ref: apiId,
  attributes: {
    RootResourceId: (resource) => `${apiId(resource)}-root`,
    RestApiId: apiId,
  },
  read(resource, model) {
    const sourceType = resource.string('ApiKeySourceType');
    if (sourceType && sourceType !== 'HEADER') resource.unsupported('ApiKeySourceType', 'only HEADER (x-api-key) is emulated');
    model.apis.set(apiId(resource), {
      logicalId: resource.id,
      name: resource.string('Name') ?? resource.logicalId,
      stackName: resource.stack.stackName,
      routes: [],
      throttles: [],
      gatewayResponses: {},
      // A body of these types reaches Lambda base64-encoded; any other as UTF-8 text.
      binaryMediaTypes: ((resource.resolved('BinaryMediaTypes') ?? []) as unknown[]).map(String),
    });
  },
};

/** The API a child resource (method, stage, gateway response) belongs to, by its `RestApiId`. */
export function apiOf(resource: TemplateResource, model: ModelBuilder): ApiBuilder {
  const id = resource.string('RestApiId');
  const api = id === undefined ? undefined : model.apis.get(id);
  if (!api) resource.unsupported('RestApiId', `${String(id)} is not a REST API of the assembly`);
  return api;
}

/** Adds a throttle given as `{ RateLimit, BurstLimit }` or as stage method settings. */
export function addThrottle(
  api: ApiBuilder,
  source: { RateLimit?: unknown; BurstLimit?: unknown; ThrottlingRateLimit?: unknown; ThrottlingBurstLimit?: unknown } | undefined,
): void {
  const rate = source?.RateLimit ?? source?.ThrottlingRateLimit;
  const burst = source?.BurstLimit ?? source?.ThrottlingBurstLimit;
  if (rate !== undefined || burst !== undefined) api.throttles.push({ rateLimit: Number(rate ?? Infinity), burstLimit: Number(burst ?? Infinity) });
}
